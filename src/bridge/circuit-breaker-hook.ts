import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { CircuitBreakers } from "./circuit-breaker";
import { providerError } from "./error-response";
import type { Flight } from "./flight";
import { BREAKER_OPEN } from "./interception-failure";
import type { InterceptionLog } from "./interception-log";

/**
 * Fifth step: an open circuit answers 503 without calling upstream; the refused interception is
 * still recorded (SPEC §7).
 */
export function circuitBreakerHook(
  breakers: CircuitBreakers | null,
  interceptions: InterceptionLog,
  metrics: Pick<Metrics, "circuitBreakerRejectsTotal">,
  logger: Logger,
) {
  return async ({ flight, request }: { flight: Flight; request: Request }) => {
    if (!breakers || flight.route?.kind !== "intercepted") return;
    const provider = flight.provider!.name;
    const { route } = flight.route;
    const model = flight.facts!.model;
    const permit = breakers.get(provider, route, model).tryAcquire();
    if (permit.ok) {
      flight.breakerPermit = permit;
      return;
    }
    metrics.circuitBreakerRejectsTotal.inc({ provider, route, model });
    try {
      await interceptions.start(flight, request.headers.get("user-agent") ?? "");
      interceptions.finish(flight, { status: 503, failure: BREAKER_OPEN, error: BREAKER_OPEN.message });
    } catch (error) {
      logger.error("could not record a circuit-breaker rejection", { error });
    }
    const retryAfter = Math.max(1, Math.ceil(permit.retryAfterMs / 1000));
    return providerError(flight, 503, "overloaded", "circuit breaker is open", {
      "retry-after": String(retryAfter),
    });
  };
}
