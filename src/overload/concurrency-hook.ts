import { setRetryHints } from "../bridge/error-response";
import type { Flight } from "../bridge/flight";
import type { Metrics } from "../observability/metrics";
import type { ConcurrencyLimiter } from "./concurrency";

export const CAPACITY_BODY = JSON.stringify({
  message: "AI Bridge is currently at capacity. Please try again later.",
});

/** First step of the chain: takes an in-flight slot or answers 503 (SPEC §6). */
export function concurrencyHook(
  limiter: ConcurrencyLimiter,
  metrics: Pick<Metrics, "concurrencyRejectsTotal">,
) {
  return ({ flight }: { flight: Flight }) => {
    const slot = limiter.tryAcquire();
    if (!slot) {
      metrics.concurrencyRejectsTotal.inc();
      const headers = new Headers({ "content-type": "application/json" });
      setRetryHints(503, headers);
      return new Response(CAPACITY_BODY, { status: 503, headers });
    }
    flight.slot = slot;
  };
}
