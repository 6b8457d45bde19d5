import type { Kysely } from "kysely";
import { checkLogin } from "../../auth/check-login.js";
import { TributaryError } from "../../core/errors.js";
import type { Database } from "../../store/schema.js";

/** A user whose user name and password matched. */
export interface SignedInUser {
  id: number;
  tenantId: number;
  userName: string;
  roles: string[];
}

/**
 * Checks a ServiceStack `userName` and password. User names are unique per tenant only, so a user name
 * may be written `tenant\user`; a bare one (or an email) is looked up across tenants and refused when
 * it names users of more than one tenant.
 */
export async function signIn(
  db: Kysely<Database>,
  userName: string,
  password: string,
  now = new Date(),
): Promise<SignedInUser> {
  const result = await checkLogin(
    db,
    { login: userName, lookup: "username-or-email", tenantPrefix: true, several: "refuse" },
    password,
    now,
  );
  switch (result.outcome) {
    case "ok":
      return {
        id: result.user.id,
        tenantId: result.user.tenantId,
        userName: result.user.username,
        roles: result.user.roles,
      };
    case "failed":
      throw new TributaryError("AUTH_LOGIN_FAILED");
    case "locked":
      throw new TributaryError("AUTH_ACCOUNT_LOCKED");
    case "ambiguous":
      throw new TributaryError(
        "AUTH_LOGIN_FAILED",
        `UserName '${userName}' names more than one user; write it as tenant\\user`,
      );
  }
}
