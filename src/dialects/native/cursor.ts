import { TributaryError } from "../../core/errors.js";

/** The native API's opaque paging cursor for a row id. */
export function encodeCursor(id: number): string {
  return Buffer.from(`c:${id}`).toString("base64url");
}

/** The row id a cursor of this API names; a 400 naming `cursor` for anything else. */
export function decodeCursor(cursor: string): number {
  const m = /^c:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m)
    throw new TributaryError("REQUEST_BODY_INVALID", "cursor is not one this API gave out", [
      { code: "REQUEST_BODY_INVALID", field: "cursor", message: "unknown cursor" },
    ]);
  return Number(m[1]);
}
