import type { BodyLimits } from "../bridge/read-body";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { Flight } from "./flight";
import { forwardIntercepted } from "./forward-intercepted";
import { forwardPassthrough } from "./forward-passthrough";
import type { InterceptionLog } from "./interception-log";
import { endFlight, owned } from "./lifecycle";

/**
 * The handler: record the start (intercepted routes), rewrite the request headers, forward, relay.
 * Everything it holds is ended by `owned`, or by the relayed body when that ends.
 */
export function forwardHandler(deps: {
  interceptions: InterceptionLog;
  logger: Logger;
  metrics: Pick<Metrics, "passthroughTotal">;
  sendActorHeaders: boolean;
  bodyLimits: BodyLimits;
}) {
  const { interceptions } = deps;
  const intercepted = forwardIntercepted(deps);
  const passthrough = forwardPassthrough(deps);
  return (flight: Flight, request: Request): Promise<Response> =>
    owned(flight, interceptions, () =>
      flight.route?.kind === "intercepted"
        ? intercepted(flight, request)
        : passthrough(flight, request, () => endFlight(flight, interceptions)),
    );
}
