import type { Server } from "bun";

import { Elysia } from "elysia";

import type { Metrics } from "../observability/metrics";
import { type RateDecision, RateLimiter, type RequestRateLimit } from "../overload/rate-limiter";
import { flightSlot } from "./context";
import type { Flight } from "./flight";

export const RATE_LIMITED_BODY = JSON.stringify({
  message: "You've been rate limited. Please try again later.",
});

/** The decision's headers on the flight; a refusal is the SPEC 429 and gives its slot back. */
function answer(
  flight: Flight,
  decision: RateDecision,
  metrics: Pick<Metrics, "rateLimitRejectsTotal">,
): Response | undefined {
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

/**
 * Per-key budget for intercepted routes only (SPEC §6). In process the decision is synchronous (no
 * promise on that path); shared through Redis (SPEC §16) it is awaited.
 */
export function checkRateLimit(
  flight: Flight,
  request: Request,
  clientIp: () => string | null,
  limiter: RequestRateLimit,
  metrics: Pick<Metrics, "rateLimitRejectsTotal">,
): Response | undefined | Promise<Response | undefined> {
  if (!flight.intercepted) return;
  const decision = limiter.check(limiter.keyOf(request.headers, clientIp));
  return decision instanceof Promise
    ? decision.then((d) => answer(flight, d, metrics))
    : answer(flight, decision, metrics);
}

/** The client's IP, looked up only when a request carries no key. */
function ipOf(server: Server<unknown> | null | undefined, request: Request): () => string | null {
  return () => server?.requestIP(request)?.address ?? null;
}

/** Second step (`onRequest`): the rate limit, before routing and authentication. */
export function rateLimitStep(
  limiter: RequestRateLimit | null,
  metrics: Pick<Metrics, "rateLimitRejectsTotal">,
) {
  const plugin = new Elysia({ name: "dataplane/rate-limit" }).use(flightSlot);
  if (!limiter) return plugin;
  if (limiter instanceof RateLimiter) {
    // In process the hook stays synchronous: one async onRequest hook makes Elysia's handler of
    // every route async (Elysia reads a hook's source: `return f(…)` counts as async).
    return plugin.onRequest(({ flight, request, server }) => {
      let refused: Response | undefined;
      if (flight)
        refused = checkRateLimit(flight, request, ipOf(server, request), limiter, metrics) as Response;
      return refused;
    });
  }
  // async: Elysia must await it whichever limiter decides (it guesses from a hook's source otherwise).
  return plugin.onRequest(async ({ flight, request, server }) => {
    if (flight) return await checkRateLimit(flight, request, ipOf(server, request), limiter, metrics);
  });
}
