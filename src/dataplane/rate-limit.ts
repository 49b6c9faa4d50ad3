import { Elysia } from "elysia";

import type { Metrics } from "../observability/metrics";
import { rateLimitKey } from "../overload/rate-limit-key";
import type { RateLimiter } from "../overload/rate-limiter";
import { flightSlot } from "./context";
import type { Flight } from "./flight";

export const RATE_LIMITED_BODY = JSON.stringify({
  message: "You've been rate limited. Please try again later.",
});

/** Per-key budget for intercepted routes only (SPEC §6); a refused request gives its slot back. */
export function checkRateLimit(
  flight: Flight,
  request: Request,
  clientIp: () => string | null,
  limiter: RateLimiter,
  metrics: Pick<Metrics, "rateLimitRejectsTotal">,
): Response | undefined {
  if (!flight.intercepted) return;
  const decision = limiter.check(rateLimitKey(request.headers, clientIp));
  flight.responseHeaders.set("x-ratelimit-limit", String(decision.limit));
  flight.responseHeaders.set("x-ratelimit-remaining", String(decision.remaining));
  flight.responseHeaders.set("x-ratelimit-reset", String(decision.resetAt));
  if (decision.allowed) return;
  metrics.rateLimitRejectsTotal.inc();
  flight.releaseSlot();
  const headers = new Headers(flight.responseHeaders);
  headers.set("content-type", "application/json");
  headers.set("retry-after", String(decision.retryAfterSeconds));
  return new Response(RATE_LIMITED_BODY, { status: 429, headers });
}

/** Second step (`onRequest`): the rate limit, before routing and authentication. */
export function rateLimitStep(limiter: RateLimiter | null, metrics: Pick<Metrics, "rateLimitRejectsTotal">) {
  const plugin = new Elysia({ name: "dataplane/rate-limit" }).use(flightSlot);
  if (!limiter) return plugin;
  return plugin.onRequest(({ flight, request, server }) => {
    if (flight)
      return checkRateLimit(
        flight,
        request,
        () => server?.requestIP(request)?.address ?? null,
        limiter,
        metrics,
      );
  });
}
