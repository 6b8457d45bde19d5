import { type Kysely, sql } from "kysely";
import { TributaryError } from "../core/errors.js";
import type { Database } from "./schema.js";

export interface User {
  id: number;
  tenantId: number;
  username: string;
  email: string | null;
  roles: string[];
}

/** Creates a user; the password arrives already hashed. */
export async function createUser(
  db: Kysely<Database>,
  user: {
    tenantId: number;
    username: string;
    email?: string | null;
    passwordHash: string | null;
    roles: string[];
  },
): Promise<User> {
  const row = await db
    .insertInto("users")
    .values({
      tenantId: user.tenantId,
      username: user.username,
      email: user.email ?? null,
      passwordHash: user.passwordHash,
      roles: user.roles,
    })
    .returning(["id", "tenantId", "username", "email", "roles"])
    .executeTakeFirstOrThrow();
  return { ...row, id: Number(row.id), tenantId: Number(row.tenantId) };
}

/** Finds a user of a tenant by user name, case-insensitively. */
export async function findUserByUsername(
  db: Kysely<Database>,
  tenantId: number,
  username: string,
): Promise<User | undefined> {
  const row = await db
    .selectFrom("users")
    .select(["id", "tenantId", "username", "email", "roles"])
    .where("tenantId", "=", tenantId)
    .where(sql`lower(username)`, "=", username.toLowerCase())
    .executeTakeFirst();
  return row && { ...row, id: Number(row.id), tenantId: Number(row.tenantId) };
}

/**
 * Adds a user to a tenant as the API and the CLI do: a taken name (any case) is USER_NAME_TAKEN, and a
 * user name that is an email serves as the email too (SAM logs in by email).
 */
export async function addTenantUser(
  db: Kysely<Database>,
  tenantId: number,
  user: { username: string; email?: string | null; passwordHash: string | null; roles: string[] },
): Promise<User> {
  if (await findUserByUsername(db, tenantId, user.username))
    throw new TributaryError("USER_NAME_TAKEN", `A user named '${user.username}' exists already`);
  return createUser(db, {
    tenantId,
    username: user.username,
    email: user.email ?? (user.username.includes("@") ? user.username : null),
    passwordHash: user.passwordHash,
    roles: [...new Set(user.roles)],
  });
}
