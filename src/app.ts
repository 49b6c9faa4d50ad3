import { Elysia } from "elysia";

import { managementErrors } from "./api/error-handler";
import { healthRoutes } from "./api/health";
import { aibridgeApi } from "./api/interceptions";
import { openapiDocument } from "./api/openapi";
import { swaggerUi } from "./api/swagger-ui";
import { usersApi } from "./api/users";
import { authenticationHook } from "./auth/data-plane-auth-hook";
import type { IdentityResolver } from "./auth/identity";
import type { CircuitBreakers } from "./bridge/circuit-breaker";
import { circuitBreakerHook } from "./bridge/circuit-breaker-hook";
import { providerError } from "./bridge/error-response";
import { Flight } from "./bridge/flight";
import { forwardIntercepted } from "./bridge/forward-intercepted";
import { forwardPassthrough } from "./bridge/forward-passthrough";
import { InterceptionLog } from "./bridge/interception-log";
import type { Provider } from "./bridge/providers/types";
import { routeHook } from "./bridge/route-hook";
import type { Db } from "./db/engine";
import type { Logger } from "./observability/logger";
import type { Metrics } from "./observability/metrics";
import type { ConcurrencyLimiter } from "./overload/concurrency";
import { concurrencyHook } from "./overload/concurrency-hook";
import { rateLimitHook } from "./overload/rate-limit-hook";
import type { RateLimiter } from "./overload/rate-limiter";
import type { Recorder } from "./recorder/recorder";

export interface AppDeps {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  recorder: Recorder;
  identities: IdentityResolver;
  providers: Map<string, Provider>;
  concurrency: ConcurrencyLimiter;
  /** null when the rate limit is off. */
  rateLimiter: RateLimiter | null;
  /** null when the circuit breaker is disabled. */
  breakers: CircuitBreakers | null;
  allowByok: boolean;
  sendActorHeaders: boolean;
  ready: () => Promise<{ ok: boolean; reason?: string }>;
}

const DATA_PLANE_PREFIX = "/api/v2/aibridge";

/**
 * The data plane. Its hooks run in this order for every request (SPEC §6):
 * concurrency → rate limit → authentication → route → circuit breaker → upstream.
 */
function dataPlane(deps: AppDeps) {
  const interceptions = new InterceptionLog(deps.recorder, deps.metrics, deps.logger);
  const intercepted = forwardIntercepted({
    interceptions,
    logger: deps.logger,
    sendActorHeaders: deps.sendActorHeaders,
  });
  const passthrough = forwardPassthrough({ metrics: deps.metrics, sendActorHeaders: deps.sendActorHeaders });

  return new Elysia({ name: "data-plane", prefix: DATA_PLANE_PREFIX })
    .derive(({ request, params, server }) => {
      const flight = new Flight();
      const { provider: name, "*": rest } = params as { provider: string; "*": string };
      const url = new URL(request.url);
      flight.providerName = name;
      flight.provider = deps.providers.get(name);
      flight.path = `/${rest}`;
      flight.search = url.search;
      const match = flight.provider?.match(request.method, flight.path) ?? null;
      return {
        flight,
        match,
        intercepted: match?.kind === "intercepted",
        clientIp: server?.requestIP(request)?.address ?? null,
      };
    })
    .onBeforeHandle(concurrencyHook(deps.concurrency, deps.metrics))
    .onBeforeHandle(rateLimitHook(deps.rateLimiter, deps.metrics))
    .onBeforeHandle(authenticationHook(deps.identities, { logger: deps.logger }))
    .onBeforeHandle(routeHook({ allowByok: deps.allowByok }))
    .onBeforeHandle(circuitBreakerHook(deps.breakers, interceptions, deps.metrics, deps.logger))
    .onAfterResponse(({ flight }) => {
      if (!flight.slotHandedToBody) flight.releaseSlot();
    })
    .onError(({ flight, error, request }) => {
      deps.logger.error("data-plane request failed", { error, path: new URL(request.url).pathname });
      if (!flight) return new Response(JSON.stringify({ message: "Internal error." }), { status: 500 });
      return providerError(flight, 500, "api", "AI Bridge hit an internal error.");
    })
    .all(
      "/:provider/*",
      // Must be `async`: Elysia decides from the source whether to await the handler before
      // running afterResponse hooks.
      async ({ flight, request }) =>
        flight.route?.kind === "intercepted"
          ? await intercepted(flight, request)
          : await passthrough(flight, request),
      { parse: "none", detail: { hide: true } },
    );
}

/** The whole HTTP surface: docs, health, management API and the data plane. */
export function createApp(deps: AppDeps) {
  return new Elysia()
    .use(managementErrors(deps.logger))
    .use(openapiDocument())
    .use(swaggerUi())
    .use(healthRoutes({ ready: deps.ready }))
    .use(usersApi({ db: deps.db, identities: deps.identities }))
    .use(aibridgeApi({ db: deps.db, identities: deps.identities }))
    .use(dataPlane(deps));
}

export type App = ReturnType<typeof createApp>;
