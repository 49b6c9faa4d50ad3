import { Elysia } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import type { CircuitBreakers } from "../bridge/circuit-breaker";
import type { Provider } from "../bridge/providers/types";
import { BODY_LIMITS, type BodyLimits } from "../bridge/read-body";
import type { Budgets } from "../cost/budgets";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { ConcurrencyLimiter } from "../overload/concurrency";
import type { RequestRateLimit } from "../overload/rate-limiter";
import type { Recorder } from "../recorder/recorder";
import { authenticationStep } from "./authentication";
import { budgetStep } from "./budget";
import { circuitBreakerStep } from "./circuit-breaker";
import { concurrencyStep } from "./concurrency";
import { dataPlaneContext, routed } from "./context";
import { providerErrors } from "./errors";
import { DATA_PLANE_PREFIX, type Flight } from "./flight";
import { forwardHandler } from "./forward";
import { InterceptionLog, type RecordingControls } from "./interception-log";
import { rateLimitStep } from "./rate-limit";
import { responseHeadersStep } from "./response-headers";
import { routeStep } from "./route";

export interface DataPlaneDeps {
  logger: Logger;
  metrics: Metrics;
  recorder: Recorder;
  identities: IdentityResolver;
  providers: Map<string, Provider>;
  concurrency: ConcurrencyLimiter;
  /** null when the rate limit is off. */
  rateLimiter: RequestRateLimit | null;
  /** null when the circuit breaker is disabled. */
  breakers: CircuitBreakers | null;
  budgets: Budgets;
  allowByok: boolean;
  sendActorHeaders: boolean;
  /** Size and idle-time limits of request bodies (SPEC §13); the defaults when absent. */
  bodyLimits?: BodyLimits;
  /** What interceptions store (SPEC §14); everything when absent. */
  recording?: RecordingControls;
}

/**
 * The data plane (SPEC §6, §17), one Elysia plugin per step, in this order for every request:
 * concurrency → rate limit → authentication → budget → route → circuit breaker → upstream.
 * Responses of every kind then get the flight's headers; anything thrown becomes a provider-shaped error.
 */
export function dataPlane(deps: DataPlaneDeps) {
  const { logger, metrics } = deps;
  const interceptions = new InterceptionLog(deps.recorder, metrics, logger, deps.recording);
  const bodyLimits = deps.bodyLimits ?? BODY_LIMITS;
  const forward = forwardHandler({
    interceptions,
    logger,
    metrics,
    sendActorHeaders: deps.sendActorHeaders,
    bodyLimits,
  });
  const handle = async ({ flight, request }: { flight: Flight | undefined; request: Request }) =>
    await forward(routed(flight), request);
  const options = { parse: "none" as const, detail: { hide: true } };

  return (
    new Elysia({ name: "dataplane" })
      .use(dataPlaneContext(deps.providers))
      // onRequest: the cheapest refusals, before routing.
      .use(concurrencyStep(deps.concurrency, metrics))
      .use(rateLimitStep(deps.rateLimiter, metrics))
      // resolve: who is calling.
      .use(authenticationStep(deps.identities, logger))
      // onBeforeHandle: budget, route and BYOK guard, circuit breaker.
      .use(budgetStep(deps.budgets, metrics))
      .use(routeStep({ allowByok: deps.allowByok, bodyLimits }))
      .use(circuitBreakerStep({ breakers: deps.breakers, interceptions, metrics, logger }))
      // mapResponse and onError: what every answer carries, and the provider's error shape.
      .use(responseHeadersStep())
      .use(providerErrors(logger))
      // The handler: record the start, forward, relay.
      .all(`${DATA_PLANE_PREFIX}/:provider/*`, handle, options)
  );
}
