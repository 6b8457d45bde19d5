import { type Kysely, sql } from "kysely";
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
