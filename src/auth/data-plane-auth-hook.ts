import { providerError } from "../bridge/error-response";
import type { Flight } from "../bridge/flight";
import type { Logger } from "../observability/logger";
import { extractCallerKey } from "./caller-key";
import type { IdentityResolver } from "./identity";

/** Third step: who is calling (SPEC §5.2); refused callers are not recorded. */
export function authenticationHook(identities: IdentityResolver, options: { logger: Logger }) {
  return async ({ flight, request }: { flight: Flight; request: Request }) => {
    const callerKey = extractCallerKey(request.headers);
    if (!callerKey) {
      return providerError(
        flight,
        401,
        "authentication",
        "Missing API key: send your aibridge key in X-Coder-Token, Authorization: Bearer or X-Api-Key.",
      );
    }
    let result: Awaited<ReturnType<IdentityResolver["resolve"]>>;
    try {
      result = await identities.resolve(callerKey.key);
    } catch (error) {
      options.logger.error("could not verify an API key: database unavailable", { error });
      return providerError(
        flight,
        503,
        "overloaded",
        "AI Bridge cannot verify API keys right now; try again shortly.",
      );
    }
    if (!result.ok) return providerError(flight, 401, "authentication", result.reason);
    flight.callerKey = callerKey;
    flight.identity = result.identity;
  };
}
