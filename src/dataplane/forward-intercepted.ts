import { isFailureStatus } from "../bridge/circuit-breaker";
import { providerError } from "../bridge/error-response";
import { clientResponseHeaders } from "../bridge/headers";
import type { ResponseObserver } from "../bridge/intercept/types";
import {
  CLIENT_DISCONNECTED,
  connectionFailure,
  type Failure,
  STREAM_FAILED,
  STREAM_OVERLOADED,
  upstreamFailure,
} from "../bridge/interception-failure";
import { relayBody } from "../bridge/relay";
import { SseParser } from "../bridge/sse";
import type { Logger } from "../observability/logger";
import type { Flight } from "./flight";
import type { InterceptionLog } from "./interception-log";
import { endFlight } from "./lifecycle";
import { callUpstream } from "./upstream";

// A non-streaming answer that declares more is relayed as a stream, unparsed. One that declares no
// length is read whole: it comes from a configured provider, not from a client.
const MAX_JSON_COPY_BYTES = 64 * 1024 * 1024;

// An error body longer than this is no message worth storing.
const MAX_ERROR_BODY_BYTES = 64 * 1024;

const decoder = new TextDecoder();

/**
 * The last step for intercepted routes: commit the interception, forward, relay the answer while a
 * parsed copy feeds the recorder (SPEC §8.1). SSE streams are relayed event by event as they
 * arrive. A non-streaming answer is one JSON document the client can only use whole: it is read
 * whole (natively, far cheaper than a JS stream per chunk), parsed, and sent in one piece.
 * Run inside `owned` (lifecycle.ts): whatever this throws, the interception is still ended.
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
      logger.error("could not record an interception; request refused", { error });
      // Also while the recording queue is full (SPEC §13: fail closed).
      return providerError(
        flight.provider,
        503,
        "overloaded",
        "AI Bridge cannot record requests right now; try again shortly.",
      );
    }
    const rewritten = route.interceptor.rewriteRequest?.(flight.json!);
    const body = rewritten ? JSON.stringify(rewritten) : flight.body!;
    const result = await callUpstream(flight, request, body, { sendActorHeaders: deps.sendActorHeaders });
    // Sent: a coding agent's request body (often hundreds of KB) must not live as long as its stream.
    flight.body = undefined;
    flight.json = undefined;
    if (!result.ok) {
      flight.breakerPermit?.done(!result.cancelled);
      interceptions.finish(flight, {
        status: result.cancelled ? 499 : 502,
        error: result.error,
        failure: result.cancelled ? CLIENT_DISCONNECTED : connectionFailure(result.error),
      });
      return result.response;
    }
    const { response: upstream, abort } = result.call;
    const observer = route.interceptor.observe();
    // An error answer's body, when it was read whole: its message is recorded.
    let errorBody: string | null = null;
    const finish = (error?: "upstream" | "client disconnected", status = upstream.status) => {
      const seen = observer.result();
      flight.breakerPermit?.done(isFailureStatus(upstream.status) || seen.overloaded || error === "upstream");
      const failure: Failure | undefined =
        (error === "client disconnected" ? CLIENT_DISCONNECTED : undefined) ??
        upstreamFailure(upstream.status, errorBody) ??
        (error === "upstream" ? STREAM_FAILED : undefined) ??
        (seen.overloaded ? STREAM_OVERLOADED : undefined);
      interceptions.finish(flight, {
        status,
        usage: seen.usage,
        toolCalls: seen.toolCalls,
        thoughts: seen.thoughts,
        failure,
        error: error === "upstream" ? "upstream stream failed" : error,
      });
    };

    const headers = clientResponseHeaders(upstream.headers);
    const init = { status: upstream.status, statusText: upstream.statusText, headers };
    if (!upstream.body) {
      finish();
      return new Response(null, init);
    }

    const isSse = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
    const declared = Number(upstream.headers.get("content-length") ?? "0");
    if (!isSse && declared <= MAX_JSON_COPY_BYTES) {
      let whole: Uint8Array;
      try {
        whole = await upstream.bytes();
      } catch {
        const cancelled = request.signal.aborted;
        finish(cancelled ? "client disconnected" : "upstream", cancelled ? 499 : 502);
        return providerError(flight.provider, 502, "api", "The upstream failed while sending its answer.");
      }
      if (upstream.ok && whole.byteLength <= MAX_JSON_COPY_BYTES) observeJson(observer, whole);
      if (!upstream.ok && whole.byteLength <= MAX_ERROR_BODY_BYTES) errorBody = decoder.decode(whole);
      finish();
      return new Response(whole, init);
    }

    const parser = isSse ? new SseParser((event) => observer.onEvent(event)) : null;
    const relayed = relayBody(upstream.body, {
      onChunk: parser ? (chunk) => parser.push(chunk) : undefined,
      onEnd(outcome) {
        try {
          if (outcome.kind === "cancelled") abort.abort();
          parser?.end();
          finish(
            outcome.kind === "complete"
              ? undefined
              : outcome.kind === "error"
                ? "upstream"
                : "client disconnected",
          );
        } catch (error) {
          // The client has its whole answer: a recording failure must not cut it.
          logger.error("could not record the end of an interception", { error });
        } finally {
          endFlight(flight, interceptions, { status: upstream.status, error: "internal error" });
        }
      },
    });
    flight.bodyOwnsEnd = true;
    return new Response(relayed, init);
  };
}

function observeJson(observer: ResponseObserver, bytes: Uint8Array): void {
  try {
    observer.onJson(JSON.parse(decoder.decode(bytes)));
  } catch {
    // Not JSON after all: nothing to extract.
  }
}
