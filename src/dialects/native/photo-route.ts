import type { FastifyInstance, onRequestHookHandler } from "fastify";
import { TributaryError } from "../../core/errors.js";
import { sniffImageType } from "../../formats/image-type.js";
import { IdParams, pathId } from "../../http/path-id.js";
import { principalOf } from "../../http/principal.js";
import { getContact } from "../../store/contacts/read-contacts.js";
import type { Store } from "../../store/database.js";

/** `GET /contacts/:id/photo`: the stored photo's bytes, typed by their magic bytes. */
export async function contactPhotoRoute(
  app: FastifyInstance,
  { store, onRequest }: { store: Store; onRequest: onRequestHookHandler },
) {
  app.get(
    "/contacts/:id/photo",
    {
      onRequest,
      schema: {
        tags: ["contacts"],
        summary: "The contact's photo (PNG, JPEG, GIF or WebP)",
        params: IdParams,
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const id = pathId(request, "CONTACT_NOT_FOUND", "contact");
      const view = await getContact(store.db, tenantId, id);
      if (!view) throw new TributaryError("CONTACT_NOT_FOUND", `No contact ${id}`);
      const photo = view.fields.photoBase64;
      const bytes = typeof photo === "string" && photo !== "" ? Buffer.from(photo, "base64") : undefined;
      // Photos written before types were checked may be anything; only a recognised image is served.
      const type = bytes && sniffImageType(bytes);
      if (!bytes || !type) throw new TributaryError("CONTACT_NOT_FOUND", `Contact ${id} has no photo`);
      return reply
        .header("content-type", type)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "private, no-cache")
        .send(bytes);
    },
  );
}
