/**
 * The reference the lifecycle chain is measured against (SPEC §17): the same steps as
 * src/dataplane/chain.ts, in the same order, as plain function calls behind a raw Bun route.
 * Only the benchmark uses it (`aibridge-plain`), to report the gateway CPU per request of both.
 */
import type { Server } from "bun";

import { BODY_LIMITS } from "../../src/bridge/read-body.ts";
import { authenticate } from "../../src/dataplane/authentication.ts";
import { checkBudget } from "../../src/dataplane/budget.ts";
import type { DataPlaneDeps } from "../../src/dataplane/chain.ts";
import { checkBreaker } from "../../src/dataplane/circuit-breaker.ts";
import { takeSlot } from "../../src/dataplane/concurrency.ts";
import { dataPlaneErrorResponse } from "../../src/dataplane/errors.ts";
import { flightOf } from "../../src/dataplane/flight.ts";
import { forwardHandler } from "../../src/dataplane/forward.ts";
import { InterceptionLog } from "../../src/dataplane/interception-log.ts";
import { checkRateLimit } from "../../src/dataplane/rate-limit.ts";
import { addResponseHeaders } from "../../src/dataplane/response-headers.ts";
import { checkRoute } from "../../src/dataplane/route.ts";

export function plainDataPlane(deps: DataPlaneDeps) {
  const { logger, metrics, breakers, rateLimiter } = deps;
  const interceptions = new InterceptionLog(deps.recorder, metrics, logger, deps.recording);
  const bodyLimits = deps.bodyLimits ?? BODY_LIMITS;
  const forward = forwardHandler({
    interceptions,
    logger,
    metrics,
    sendActorHeaders: deps.sendActorHeaders,
    bodyLimits,
  });
  const breakerDeps = breakers ? { breakers, interceptions, metrics, logger } : null;
  const routeOptions = { allowByok: deps.allowByok, bodyLimits };

  return async (request: Request, server: Server<unknown>): Promise<Response> => {
    const flight = flightOf(request, deps.providers, false)!;
    if (flight.provider) {
      const early =
        takeSlot(flight, deps.concurrency, metrics) ??
        (rateLimiter
          ? checkRateLimit(
              flight,
              request,
              () => server.requestIP(request)?.address ?? null,
              rateLimiter,
              metrics,
            )
          : undefined);
      const refused = early instanceof Promise ? await early : early;
      if (refused) return refused;
    }
    let response: Response;
    try {
      await authenticate(flight, request, deps.identities, logger);
      checkBudget(flight, deps.budgets, metrics);
      const refused = await checkRoute(flight, request, routeOptions);
      if (refused) response = refused;
      else {
        if (breakerDeps) await checkBreaker(flight, request, breakerDeps);
        response = await forward(flight, request);
      }
    } catch (error) {
      response = dataPlaneErrorResponse(flight, error, logger);
    }
    addResponseHeaders(flight, response);
    if (!flight.bodyOwnsEnd) flight.releaseSlot();
    return response;
  };
}
