import type { Identity, IdentityResolver } from "../auth/identity";
import { ApiError } from "./errors";

export type Caller = Identity;

/** Management API keys come in `Coder-Session-Token` or `Authorization: Bearer` (SPEC §9). */
export function managementKey(headers: Headers): string | null {
  const token = headers.get("coder-session-token");
  if (token) return token.trim();
  const auth = headers.get("authorization");
  const match = auth ? /^bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return match ? match[1]!.trim() : null;
}

export async function authenticateCaller(headers: Headers, identities: IdentityResolver): Promise<Caller> {
  const key = managementKey(headers);
  if (!key) {
    throw new ApiError(
      401,
      "You must be authenticated.",
      "Send an API key in Coder-Session-Token or Authorization: Bearer.",
    );
  }
  const result = await identities.resolve(key);
  if (!result.ok) throw new ApiError(401, "You must be authenticated.", result.reason);
  return result.identity;
}

export function canReadAll(caller: Caller): boolean {
  return caller.role === "owner" || caller.role === "auditor";
}
