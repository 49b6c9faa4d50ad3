import { holdsApiKey } from "./api-key";

export type KeySource = "coder-token" | "authorization" | "x-api-key";

export interface CallerKey {
  key: string;
  source: KeySource;
}

function bearer(value: string | null): string | null {
  if (!value) return null;
  const match = /^bearer\s+(\S.*)$/i.exec(value.trim());
  return match ? match[1]!.trim() : null;
}

/** The caller's aibridge key, first present of X-Coder-Token, Authorization: Bearer, X-Api-Key (SPEC §5.2). */
export function extractCallerKey(headers: Headers): CallerKey | null {
  const coder = headers.get("x-coder-token")?.trim();
  if (coder) return { key: coder, source: "coder-token" };
  const auth = bearer(headers.get("authorization"));
  if (auth) return { key: auth, source: "authorization" };
  const apiKey = headers.get("x-api-key")?.trim();
  if (apiKey) return { key: apiKey, source: "x-api-key" };
  return null;
}

/**
 * The provider credential the client sent itself (BYOK), from Authorization or X-Api-Key. An aibridge
 * key (`callerKey` or any well-formed one) is never a provider credential (SPEC §13).
 */
export function clientProviderCredential(headers: Headers, callerKey: string): string | null {
  const auth = headers.get("authorization")?.trim();
  if (auth && !holdsApiKey(auth, callerKey)) return bearer(auth) ?? auth;
  const apiKey = headers.get("x-api-key")?.trim();
  if (apiKey && !holdsApiKey(apiKey, callerKey)) return apiKey;
  return null;
}
