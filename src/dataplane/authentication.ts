import { Elysia } from "elysia";

import { extractCallerKey } from "../auth/caller-key";
import type { IdentityResolver } from "../auth/identity";
import type { Logger } from "../observability/logger";
import { flightSlot, routed } from "./context";
import { DataPlaneError } from "./errors";
import type { Flight } from "./flight";

/** Who is calling (SPEC §5.2): sets the caller's key and identity, or throws the 401/503 refusal. */
export async function authenticate(
  flight: Flight,
  request: Request,
  identities: IdentityResolver,
  logger: Logger,
): Promise<void> {
  const callerKey = extractCallerKey(request.headers);
  if (!callerKey) {
    throw new DataPlaneError(
      401,
      "authentication",
      "Missing API key: send your aibridge key in X-Coder-Token, Authorization: Bearer or X-Api-Key.",
    );
  }
  let result: Awaited<ReturnType<IdentityResolver["resolve"]>>;
  try {
    result = await identities.resolve(callerKey.key);
  } catch (error) {
    logger.error("could not verify an API key: database unavailable", { error });
    throw new DataPlaneError(
      503,
      "overloaded",
      "AI Bridge cannot verify API keys right now; try again shortly.",
    );
  }
  if (!result.ok) throw new DataPlaneError(401, "authentication", result.reason);
  flight.callerKey = callerKey;
  flight.identity = result.identity;
}

/** Third step (`resolve`): authentication; the identity becomes part of the context. Refused callers are not recorded. */
export function authenticationStep(identities: IdentityResolver, logger: Logger) {
  return new Elysia({ name: "dataplane/authentication" })
    .use(flightSlot)
    .resolve({ as: "scoped" }, async ({ flight, request }) => {
      await authenticate(routed(flight), request, identities, logger);
    });
}
