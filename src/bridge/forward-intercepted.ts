import type { Logger } from "../observability/logger";
import { isFailureStatus } from "./circuit-breaker";
import { providerError } from "./error-response";
import type { Flight } from "./flight";
import { clientResponseHeaders } from "./headers";
import type { InterceptionLog } from "./interception-log";
import { concatBytes } from "./read-body";
import { relayBody } from "./relay";
import { SseParser } from "./sse";
import { callUpstream, serverTiming } from "./upstream";

const MAX_JSON_COPY_BYTES = 64 * 1024 * 1024;

/**
 * The last step for intercepted routes: commit the interception, forward, relay the answer as it
 * arrives while a parsed copy feeds the recorder (SPEC §8.1).
 */
export function forwardIntercepted(deps: {
  interceptions: InterceptionLog;
  logger: Logger;
  sendActorHeaders: boolean;
}) {
  const { interceptions, logger } = deps;
  return async (flight: Flight, request: Request): Promise<Response> => {
    const route = flight.route;
    if (route?.kind !== "intercepted") throw new Error("forwardIntercepted on a non-intercepted route");
    try {
      await interceptions.start(flight, request.headers.get("user-agent") ?? "");
    } catch (error) {
      flight.breakerPermit?.done(false);
      logger.error("could not record an interception; request refused", { error });
      return providerError(
        flight,
        503,
        "overloaded",
        "AI Bridge cannot record requests right now; try again shortly.",
      );
    }
    const rewritten = route.interceptor.rewriteRequest?.(flight.json!);
    const body = rewritten ? JSON.stringify(rewritten) : flight.body!;
    const result = await callUpstream(flight, request, body, { sendActorHeaders: deps.sendActorHeaders });
    if (!result.ok) {
      flight.breakerPermit?.done(!result.cancelled);
      interceptions.finish(flight, { status: result.cancelled ? 499 : 502, error: result.error });
      return result.response;
    }
    const { response: upstream, abort, upstreamMs } = result.call;
    const observer = route.interceptor.observe();
    const isSse = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
    const parser = isSse ? new SseParser((event) => observer.onEvent(event)) : null;
    let jsonChunks: Uint8Array[] | null = !isSse && upstream.ok ? [] : null;
    let jsonSize = 0;

    const finish = (error?: string) => {
      parser?.end();
      if (jsonChunks) {
        try {
          observer.onJson(JSON.parse(new TextDecoder().decode(concatBytes(jsonChunks, jsonSize))));
        } catch {
          // Not JSON after all: nothing to extract.
        }
      }
      const seen = observer.result();
      flight.breakerPermit?.done(isFailureStatus(upstream.status) || seen.overloaded || error === "upstream");
      interceptions.finish(flight, {
        status: upstream.status,
        usage: seen.usage,
        toolCalls: seen.toolCalls,
        error: error === "upstream" ? "upstream stream failed" : error,
      });
      flight.releaseSlot();
    };

    const headers = clientResponseHeaders(upstream.headers);
    flight.responseHeaders.forEach((value, name) => {
      headers.set(name, value);
    });
    headers.set("server-timing", serverTiming(flight, upstreamMs));
    if (!upstream.body) {
      finish();
      return new Response(null, { status: upstream.status, statusText: upstream.statusText, headers });
    }
    const relayed = relayBody(upstream.body, {
      onChunk(chunk) {
        if (parser) parser.push(chunk);
        else if (jsonChunks) {
          jsonSize += chunk.byteLength;
          if (jsonSize > MAX_JSON_COPY_BYTES) jsonChunks = null;
          else jsonChunks.push(chunk.slice());
        }
      },
      onEnd(outcome) {
        if (outcome.kind === "cancelled") abort.abort();
        finish(
          outcome.kind === "complete"
            ? undefined
            : outcome.kind === "error"
              ? "upstream"
              : "client disconnected",
        );
      },
    });
    flight.slotHandedToBody = true;
    return new Response(relayed, { status: upstream.status, statusText: upstream.statusText, headers });
  };
}
