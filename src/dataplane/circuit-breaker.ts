import { Elysia } from "elysia";

import type { CircuitBreakers } from "../bridge/circuit-breaker";
import { BREAKER_OPEN } from "../bridge/interception-failure";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { flightSlot, routed } from "./context";
import { DataPlaneError } from "./errors";
import type { Flight } from "./flight";
import type { InterceptionLog } from "./interception-log";

/**
 * An open circuit refuses without calling upstream; the refused interception is still recorded
 * (SPEC §7). An admitted request carries its permit on the flight until it ends.
 */
export async function checkBreaker(
  flight: Flight,
  request: Request,
  deps: {
    breakers: CircuitBreakers;
    interceptions: InterceptionLog;
    metrics: Pick<Metrics, "circuitBreakerRejectsTotal">;
    logger: Logger;
  },
): Promise<void> {
  if (flight.route?.kind !== "intercepted") return;
  const provider = flight.provider!.name;
  const { route } = flight.route;
  const model = flight.facts!.model;
  const permit = deps.breakers.get(provider, route, model).tryAcquire();
  if (permit.ok) {
    flight.breakerPermit = permit;
    return;
  }
  deps.metrics.circuitBreakerRejectsTotal.inc({ provider, route, model });
  try {
    await deps.interceptions.start(flight, request.headers.get("user-agent") ?? "");
    deps.interceptions.finish(flight, { status: 503, failure: BREAKER_OPEN, error: BREAKER_OPEN.message });
  } catch (error) {
    deps.logger.error("could not record a circuit-breaker rejection", { error });
  }
  const retryAfter = Math.max(1, Math.ceil(permit.retryAfterMs / 1000));
  throw new DataPlaneError(503, "overloaded", "circuit breaker is open", {
    "retry-after": String(retryAfter),
  });
}

/** Last check before upstream (`onBeforeHandle`); absent when the breaker is disabled. */
export function circuitBreakerStep(deps: Parameters<typeof checkBreaker>[2] | { breakers: null }) {
  const plugin = new Elysia({ name: "dataplane/circuit-breaker" }).use(flightSlot);
  if (!deps.breakers) return plugin;
  const admitted = deps as Parameters<typeof checkBreaker>[2];
  return plugin.onBeforeHandle({ as: "scoped" }, async ({ flight, request }) => {
    await checkBreaker(routed(flight), request, admitted);
  });
}
