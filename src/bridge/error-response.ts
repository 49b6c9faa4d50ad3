import { ERROR_KINDS, type Provider } from "./providers/types";

// Gateway-made answers a retry cannot change: official SDKs and Claude Code stop at once (SPEC §13).
const FINAL_STATUSES = new Set([400, 401, 403, 404, 405, 413, 501]);

/** What a 429 or 503 suggests when its maker knows no better wait: the shortest whole second. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * The retry hints of a gateway-made answer (SPEC §13): `x-should-retry: false` on answers a retry
 * cannot change; `Retry-After` on 429 and 503 (unless the maker set its own).
 */
export function setRetryHints(status: number, headers: Headers): void {
  if (FINAL_STATUSES.has(status)) headers.set("x-should-retry", "false");
  else if ((status === 429 || status === 503) && !headers.has("retry-after")) {
    headers.set("retry-after", String(DEFAULT_RETRY_AFTER_SECONDS));
  }
}

/** A gateway-made data-plane error in the provider's shape (SPEC §4.2); `{message}` without a provider. */
export function providerError(
  provider: Provider | undefined,
  status: number,
  kind: keyof typeof ERROR_KINDS,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body = provider ? provider.errorBody(kind, message) : { message };
  const out = new Headers(headers);
  out.set("content-type", "application/json");
  setRetryHints(status, out);
  return new Response(JSON.stringify(body), { status, headers: out });
}

export { ERROR_KINDS };
