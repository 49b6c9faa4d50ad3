import { Elysia } from "elysia";

import { setRetryHints } from "../bridge/error-response";
import type { Metrics } from "../observability/metrics";
import type { ConcurrencyLimiter } from "../overload/concurrency";
import { flightSlot } from "./context";
import type { Flight } from "./flight";

export const CAPACITY_BODY = JSON.stringify({
  message: "AI Bridge is currently at capacity. Please try again later.",
});

/** Takes an in-flight slot, or answers the SPEC 503 (SPEC §6). */
export function takeSlot(
  flight: Flight,
  limiter: ConcurrencyLimiter,
  metrics: Pick<Metrics, "concurrencyRejectsTotal">,
): Response | undefined {
  const slot = limiter.tryAcquire();
  if (!slot) {
    metrics.concurrencyRejectsTotal.inc();
    const headers = new Headers({ "content-type": "application/json" });
    setRetryHints(503, headers);
    return new Response(CAPACITY_BODY, { status: 503, headers });
  }
  flight.slot = slot;
}

/**
 * First step (`onRequest`): the concurrency cap. The slot is given back after the response, unless a
 * streamed body holds it until it ends (Elysia's `onAfterResponse` fires before a stream ends).
 */
export function concurrencyStep(
  limiter: ConcurrencyLimiter,
  metrics: Pick<Metrics, "concurrencyRejectsTotal">,
) {
  return new Elysia({ name: "dataplane/concurrency" })
    .use(flightSlot)
    .onRequest(({ flight }) => {
      // Not `return takeSlot(…)`: Elysia reads a hook's source and takes that shape for async.
      let refused: Response | undefined;
      if (flight) refused = takeSlot(flight, limiter, metrics);
      return refused;
    })
    .onAfterResponse({ as: "scoped" }, ({ flight }) => {
      if (flight && !flight.bodyOwnsEnd) flight.releaseSlot();
    });
}
