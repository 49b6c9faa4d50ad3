import type { Flight } from "../bridge/flight";
import type { Metrics } from "../observability/metrics";
import { rateLimitKey } from "./rate-limit-key";
import type { RateLimiter } from "./rate-limiter";

export const RATE_LIMITED_BODY = JSON.stringify({
  message: "You've been rate limited. Please try again later.",
});

export interface RateLimitHookContext {
  flight: Flight;
  request: Request;
  clientIp: () => string | null;
  intercepted: boolean;
}

/** Second step: per-key budget for intercepted routes only (SPEC §6). */
export function rateLimitHook(limiter: RateLimiter | null, metrics: Pick<Metrics, "rateLimitRejectsTotal">) {
  return ({ flight, request, clientIp, intercepted }: RateLimitHookContext) => {
    if (!limiter || !intercepted) return;
    const decision = limiter.check(rateLimitKey(request.headers, clientIp));
    flight.responseHeaders.set("x-ratelimit-limit", String(decision.limit));
    flight.responseHeaders.set("x-ratelimit-remaining", String(decision.remaining));
    flight.responseHeaders.set("x-ratelimit-reset", String(decision.resetAt));
    if (decision.allowed) return;
    metrics.rateLimitRejectsTotal.inc();
    const headers = new Headers(flight.responseHeaders);
    headers.set("content-type", "application/json");
    headers.set("retry-after", String(decision.retryAfterSeconds));
    return new Response(RATE_LIMITED_BODY, { status: 429, headers });
  };
}
