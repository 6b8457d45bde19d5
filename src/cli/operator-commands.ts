import type { ReferenceKind } from "../core/contact-fields.js";
import { issueTenantToken, listTenantTokens, revokeToken } from "../store/api-tokens.js";
import { latestSchemaVersion, type Store } from "../store/database.js";
import {
  addReferenceItem,
  findReferenceItem,
  listReferenceItems,
  referenceKinds,
  updateReferenceItem,
} from "../store/reference-items.js";
import { createTenant, findTenantByName } from "../store/tenants.js";
import { addTenantUser } from "../store/users.js";
import { CliError } from "./cli-error.js";

// The CLI's commands on the engine itself, as functions of the store: the CLI runs them on the engine it
// opens, and `tributary serve` runs them for it (operator-socket.ts) while it holds the PGlite data folder,
// which no second process may open. What they print goes through `output`, so either side can carry it.

/** Where a command's lines go: stdout (`log`, the asked-for value) and stderr (`error`, messages). */
export interface OperatorOutput {
  log(line: string): void;
  error(line: string): void;
}

type Args = Record<string, unknown>;
type OperatorCommand = (store: Store, args: Args, output: OperatorOutput) => Promise<void>;

const text = (args: Args, key: string): string => {
  const value = args[key];
  if (typeof value !== "string") throw new CliError(`${key} must be a text`);
  return value;
};
const optionalText = (args: Args, key: string): string | undefined =>
  args[key] === undefined ? undefined : text(args, key);
const texts = (args: Args, key: string): string[] => {
  const value = args[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new CliError(`${key} must be a list of texts`);
  return value;
};
const count = (args: Args, key: string): number => {
  const value = args[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new CliError(`${key} must be a whole number`);
  return value;
};
const kindOf = (args: Args): ReferenceKind => {
  const kind = text(args, "kind") as ReferenceKind;
  if (!referenceKinds.includes(kind)) throw new CliError(`unknown reference kind '${kind}'`);
  return kind;
};

/** The id of the tenant a command names, or the CLI's refusal. */
export async function tenantIdOf(store: Store, name: string): Promise<number> {
  const tenant = await findTenantByName(store.db, name);
  if (!tenant) throw new CliError(`no tenant named '${name}'`);
  return tenant.id;
}

/** The commands, by name: each checks its own arguments, since a server runs them for another process. */
export const operatorCommands: Record<string, OperatorCommand> = {
  async migrate(_store, _args, output) {
    output.log(latestSchemaVersion);
  },
  async "tenant.create"(store, args, output) {
    const name = text(args, "name");
    if (await findTenantByName(store.db, name)) throw new CliError(`a tenant named '${name}' exists already`);
    output.log(String((await createTenant(store.db, name)).id));
  },
  async "tenant.list"(store, _args, output) {
    for (const t of await store.db.selectFrom("tenants").select(["id", "name"]).orderBy("id").execute())
      output.log(`${t.id}\t${t.name}`);
  },
  async "user.create"(store, args, output) {
    const passwordHash = args.passwordHash === null ? null : text(args, "passwordHash");
    const created = await addTenantUser(store.db, await tenantIdOf(store, text(args, "tenant")), {
      username: text(args, "username"),
      email: optionalText(args, "email"),
      passwordHash,
      roles: texts(args, "roles"),
    });
    output.log(String(created.id));
  },
  async "token.create"(store, args, output) {
    const expiresInDays = args.expiresInDays;
    if (expiresInDays !== undefined && !(typeof expiresInDays === "number" && expiresInDays > 0))
      throw new CliError("expiresInDays must be a positive number");
    const issued = await issueTenantToken(store.db, await tenantIdOf(store, text(args, "tenant")), {
      roles: texts(args, "roles"),
      username: optionalText(args, "user"),
      expiresInDays,
    });
    output.error(`token id ${issued.id} (revoke with: tributary token revoke ${issued.id})`);
    output.log(issued.token);
  },
  async "token.revoke"(store, args, output) {
    const id = count(args, "id");
    if (!(await revokeToken(store.db, id))) throw new CliError(`no live token with id ${id}`);
    output.log(String(id));
  },
  async "token.list"(store, args, output) {
    for (const r of await listTenantTokens(store.db, await tenantIdOf(store, text(args, "tenant"))))
      output.log(`${r.id}\t${r.kind}\t${r.roles.join(",")}\t${r.state}`);
  },
  async "ref.add"(store, args, output) {
    const kind = kindOf(args);
    const tenantId = await tenantIdOf(store, text(args, "tenant"));
    let parentId: number | null = null;
    if (kind === "sub_channel") {
      const parentName = text(args, "parent");
      const parent = await findReferenceItem(store.db, tenantId, "channel", parentName);
      if (!parent) throw new CliError(`no channel '${parentName}'`);
      parentId = parent.id;
    }
    const code = optionalText(args, "code") ?? null;
    const added = await addReferenceItem(store.db, tenantId, {
      kind,
      name: text(args, "name"),
      code,
      parentId,
    });
    output.log(String(added.id));
  },
  async "ref.list"(store, args, output) {
    const tenantId = await tenantIdOf(store, text(args, "tenant"));
    for (const r of await listReferenceItems(store.db, tenantId, kindOf(args), { includeInactive: true }))
      output.log(`${r.id}\t${r.name}\t${r.code ?? ""}\t${r.active ? "active" : "inactive"}`);
  },
  async "ref.update"(store, args, output) {
    const tenantId = await tenantIdOf(store, text(args, "tenant"));
    const change: { name?: string; active?: boolean } = {};
    if (args.name !== undefined) change.name = text(args, "name");
    if (args.active !== undefined) {
      if (typeof args.active !== "boolean") throw new CliError("active must be true or false");
      change.active = args.active;
    }
    const updated = await updateReferenceItem(store.db, tenantId, count(args, "id"), change, kindOf(args));
    output.log(String(updated.id));
  },
};
