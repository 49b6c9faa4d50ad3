import { clientResponseHeaders } from "../bridge/headers";
import type { BodyLimits } from "../bridge/read-body";
import { relayBody } from "../bridge/relay";
import type { Metrics } from "../observability/metrics";
import type { Flight } from "./flight";
import { readBodyOrThrow } from "./request-body";
import { callUpstream } from "./upstream";

/** Passthrough routes: forwarded with the same credential rules, relayed as they come, not recorded. */
export function forwardPassthrough(deps: {
  metrics: Pick<Metrics, "passthroughTotal">;
  sendActorHeaders: boolean;
  bodyLimits: BodyLimits;
}) {
  /** `onEnd` ends the request once a relayed body has ended. */
  return async (flight: Flight, request: Request, onEnd: () => void): Promise<Response> => {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const body = hasBody ? await readBodyOrThrow(request, deps.bodyLimits) : null;
    const result = await callUpstream(flight, request, body, { sendActorHeaders: deps.sendActorHeaders });
    deps.metrics.passthroughTotal.inc({
      provider: flight.provider!.name,
      status: result.ok ? String(result.call.response.status) : "502",
    });
    if (!result.ok) return result.response;
    const { response: upstream, abort } = result.call;
    const headers = clientResponseHeaders(upstream.headers);
    if (!upstream.body) return new Response(null, { status: upstream.status, headers });
    const relayed = relayBody(upstream.body, {
      onEnd(outcome) {
        try {
          if (outcome.kind === "cancelled") abort.abort();
        } finally {
          onEnd();
        }
      },
    });
    flight.bodyOwnsEnd = true;
    return new Response(relayed, { status: upstream.status, statusText: upstream.statusText, headers });
  };
}
