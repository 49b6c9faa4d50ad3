import type { Flight } from "./flight";
import { ERROR_KINDS } from "./providers/types";

/** A gateway-made data-plane error in the provider's shape, carrying the flight's extra headers. */
export function providerError(
  flight: Flight,
  status: number,
  kind: keyof typeof ERROR_KINDS,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body = flight.provider ? flight.provider.errorBody(kind, message) : { message };
  const out = new Headers(flight.responseHeaders);
  out.set("content-type", "application/json");
  for (const [name, value] of Object.entries(headers)) out.set(name, value);
  return new Response(JSON.stringify(body), { status, headers: out });
}

export { ERROR_KINDS };
