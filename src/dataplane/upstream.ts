import { providerError } from "../bridge/error-response";
import { upstreamHeaders } from "../bridge/headers";
import type { Flight } from "./flight";

export interface UpstreamCall {
  response: Response;
  /** Aborts the upstream request (the client went away). */
  abort: AbortController;
}

export type UpstreamResult =
  | { ok: true; call: UpstreamCall }
  | { ok: false; response: Response; cancelled: boolean; error: string };

/**
 * Sends the request upstream with the planned credential. A failure before any response byte is a
 * 502 in the provider's shape (never an empty 200). The client's disconnect aborts the call.
 */
export async function callUpstream(
  flight: Flight,
  request: Request,
  body: string | Uint8Array | null,
  options: { sendActorHeaders: boolean },
): Promise<UpstreamResult> {
  const provider = flight.provider!;
  const abort = new AbortController();
  request.signal.addEventListener("abort", () => abort.abort(), { once: true });
  // A client that left while the interception was being committed: its signal fired already.
  if (request.signal.aborted) abort.abort();
  const headers = upstreamHeaders(request.headers, {
    credential: flight.credential!.plan,
    callerKey: flight.callerKey!.key,
    setKey: provider.setKey,
    actor: options.sendActorHeaders
      ? { id: flight.identity!.userId, username: flight.identity!.username }
      : undefined,
  });
  const started = performance.now();
  try {
    const response = await fetch(provider.upstreamUrl(flight.path, flight.search), {
      method: request.method,
      headers,
      body,
      signal: abort.signal,
      redirect: "manual",
      // LLM calls can legitimately take many minutes; the client decides when to give up.
      timeout: false,
    });
    flight.upstreamMs = performance.now() - started;
    return { ok: true, call: { response, abort } };
  } catch (error) {
    const cancelled = request.signal.aborted;
    const message = error instanceof Error ? error.message : String(error);
    const response = providerError(
      provider,
      502,
      "api",
      `AI Bridge could not reach the ${provider.name} API: ${message}`,
    );
    return { ok: false, response, cancelled, error: message };
  }
}
