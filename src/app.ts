import type { Server } from "bun";

import { Elysia } from "elysia";

import { budgetsApi } from "./api/budgets";
import { managementErrors } from "./api/error-handler";
import { healthRoutes } from "./api/health";
import { aibridgeApi } from "./api/interceptions";
import { openapiDocument } from "./api/openapi";
import { pricesApi } from "./api/prices";
import { spendApi } from "./api/spend";
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
import { InterceptionLog, type RecordingControls } from "./bridge/interception-log";
import type { Provider, RouteMatch } from "./bridge/providers/types";
import { BODY_LIMITS, type BodyLimits } from "./bridge/read-body";
import { routeHook } from "./bridge/route-hook";
import { consoleRoutes } from "./console/serve";
import { budgetHook } from "./cost/budget-hook";
import type { Budgets } from "./cost/budgets";
import type { PriceService } from "./cost/price-service";
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
  budgets: Budgets;
  prices: PriceService;
  now: () => number;
  allowByok: boolean;
  sendActorHeaders: boolean;
  /** Size and idle-time limits of request bodies (SPEC §13). */
  bodyLimits?: BodyLimits;
  /** What interceptions store (SPEC §14); everything when absent. */
  recording?: RecordingControls;
  ready: () => Promise<{ ok: boolean; reason?: string }>;
}

const DATA_PLANE_PREFIX = "/api/v2/aibridge";
const DATA_PLANE_ROUTE = `${DATA_PLANE_PREFIX}/:provider/*`;

/** What every data-plane hook may read; each takes the part it needs. */
export interface DataPlaneContext {
  flight: Flight;
  request: Request;
  match: RouteMatch | null;
  intercepted: boolean;
  clientIp: () => string | null;
}

type Hook = (ctx: DataPlaneContext) => Response | undefined | Promise<Response | undefined>;

/** Provider, path and query from the raw URL: the path goes upstream exactly as the client wrote it. */
function dataPlaneContext(
  request: Request,
  server: Server<unknown>,
  providers: Map<string, Provider>,
): DataPlaneContext {
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const queryStart = url.indexOf("?", pathStart);
  const pathname = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
  const rest = pathname.slice(DATA_PLANE_PREFIX.length + 1);
  const slash = rest.indexOf("/");
  const flight = new Flight();
  flight.providerName = slash < 0 ? rest : rest.slice(0, slash);
  flight.provider = providers.get(flight.providerName);
  flight.path = slash < 0 ? "/" : rest.slice(slash);
  flight.search = queryStart < 0 ? "" : url.slice(queryStart);
  const match = flight.provider?.match(request.method, flight.path) ?? null;
  return {
    flight,
    request,
    match,
    intercepted: match?.kind === "intercepted",
    clientIp: () => server.requestIP(request)?.address ?? null,
  };
}

/**
 * The data plane: a plain chain of hooks, in this order for every request (SPEC §6):
 * concurrency → rate limit → authentication → budget → route → circuit breaker → upstream.
 * It is served by Bun's own router, not through Elysia's per-request pipeline, which would cost a
 * large share of the gateway's time per request (bench/README.md).
 */
function dataPlane(deps: AppDeps) {
  const interceptions = new InterceptionLog(deps.recorder, deps.metrics, deps.logger, deps.recording);
  const intercepted = forwardIntercepted({
    interceptions,
    logger: deps.logger,
    sendActorHeaders: deps.sendActorHeaders,
  });
  const bodyLimits = deps.bodyLimits ?? BODY_LIMITS;
  const passthrough = forwardPassthrough({
    metrics: deps.metrics,
    sendActorHeaders: deps.sendActorHeaders,
    bodyLimits,
  });
  const chain: Hook[] = [
    concurrencyHook(deps.concurrency, deps.metrics),
    rateLimitHook(deps.rateLimiter, deps.metrics),
    authenticationHook(deps.identities, { logger: deps.logger }),
    budgetHook(deps.budgets, deps.metrics),
    routeHook({ allowByok: deps.allowByok, bodyLimits }),
    circuitBreakerHook(deps.breakers, interceptions, deps.metrics, deps.logger),
  ];

  return async (request: Request, server: Server<unknown>): Promise<Response> => {
    const ctx = dataPlaneContext(request, server, deps.providers);
    const { flight } = ctx;
    try {
      for (const hook of chain) {
        const outcome = hook(ctx);
        const refused = outcome instanceof Promise ? await outcome : outcome;
        if (refused) return refused;
      }
      return flight.route?.kind === "intercepted"
        ? await intercepted(flight, request)
        : await passthrough(flight, request);
    } catch (error) {
      deps.logger.error("data-plane request failed", {
        error,
        path: `${DATA_PLANE_PREFIX}/${flight.providerName}${flight.path}`,
      });
      return providerError(flight, 500, "api", "AI Bridge hit an internal error.");
    } finally {
      // A streamed body holds the slot until it ends; any other answer is complete here.
      if (!flight.slotHandedToBody) flight.releaseSlot();
    }
  };
}

/** The whole HTTP surface: docs, health, management API and the data plane. */
export function createApp(deps: AppDeps) {
  const dataPlaneHandler = dataPlane(deps);
  return (
    new Elysia({ serve: { routes: { [DATA_PLANE_ROUTE]: dataPlaneHandler } } })
      .use(managementErrors(deps.logger))
      .use(openapiDocument())
      .use(swaggerUi())
      .use(consoleRoutes())
      .use(healthRoutes({ ready: deps.ready }))
      .use(usersApi({ db: deps.db, identities: deps.identities }))
      .use(aibridgeApi({ db: deps.db, identities: deps.identities }))
      .use(budgetsApi({ db: deps.db, identities: deps.identities, budgets: deps.budgets }))
      .use(pricesApi({ prices: deps.prices, identities: deps.identities }))
      .use(spendApi({ db: deps.db, identities: deps.identities, now: deps.now }))
      // What Bun's route pattern does not catch (e.g. a bare `/api/v2/aibridge/openai`).
      .all(DATA_PLANE_ROUTE, ({ request, server }) => dataPlaneHandler(request, server!), {
        parse: "none",
        detail: { hide: true },
      })
  );
}

export type App = ReturnType<typeof createApp>;
