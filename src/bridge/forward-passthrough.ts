import type { Metrics } from "../observability/metrics";
import type { Flight } from "./flight";
import { clientResponseHeaders } from "./headers";
import { type BodyLimits, readBodyOrRefuse } from "./read-body";
import { relayBody } from "./relay";
import { callUpstream, serverTiming } from "./upstream";

/** Passthrough routes: forwarded with the same credential rules, relayed as they come, not recorded. */
export function forwardPassthrough(deps: {
  metrics: Pick<Metrics, "passthroughTotal">;
  sendActorHeaders: boolean;
  bodyLimits: BodyLimits;
}) {
  return async (flight: Flight, request: Request): Promise<Response> => {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const body = hasBody ? await readBodyOrRefuse(flight, request, deps.bodyLimits) : null;
    if (body instanceof Response) return body;
    const result = await callUpstream(flight, request, body, { sendActorHeaders: deps.sendActorHeaders });
    deps.metrics.passthroughTotal.inc({
      provider: flight.provider!.name,
      status: result.ok ? String(result.call.response.status) : "502",
    });
    if (!result.ok) return result.response;
    const { response: upstream, abort, upstreamMs } = result.call;
    const headers = clientResponseHeaders(upstream.headers);
    flight.responseHeaders.forEach((value, name) => {
      headers.set(name, value);
    });
    headers.set("server-timing", serverTiming(flight, upstreamMs));
    if (!upstream.body) return new Response(null, { status: upstream.status, headers });
    const relayed = relayBody(upstream.body, {
      onEnd(outcome) {
        if (outcome.kind === "cancelled") abort.abort();
        flight.releaseSlot();
      },
    });
    flight.slotHandedToBody = true;
    return new Response(relayed, { status: upstream.status, statusText: upstream.statusText, headers });
  };
}
