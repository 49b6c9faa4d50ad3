import { Elysia } from "elysia";

import { type ERROR_KINDS, providerError } from "../bridge/error-response";
import type { Logger } from "../observability/logger";
import { DATA_PLANE_PREFIX, type Flight } from "./flight";

/** A refusal made by a step of the chain; the `onError` step answers it in the provider's shape. */
export class DataPlaneError extends Error {
  constructor(
    readonly status: number,
    readonly kind: keyof typeof ERROR_KINDS,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The answer to anything thrown on the data plane: a refusal as itself, anything else a 500. */
export function dataPlaneErrorResponse(flight: Flight | undefined, error: unknown, logger: Logger): Response {
  const provider = flight?.provider;
  if (error instanceof DataPlaneError) {
    return providerError(provider, error.status, error.kind, error.message, error.headers);
  }
  logger.error("data-plane request failed", {
    error,
    path: flight ? `${DATA_PLANE_PREFIX}/${flight.providerName}${flight.path}` : undefined,
  });
  return providerError(provider, 500, "api", "AI Bridge hit an internal error.");
}

/** `onError`: provider-shaped errors for every data-plane failure (SPEC §4.2, §17). */
export function providerErrors(logger: Logger) {
  return new Elysia({ name: "dataplane/errors" })
    .decorate("flight", undefined as Flight | undefined)
    .onError({ as: "scoped" }, ({ flight, error }) => dataPlaneErrorResponse(flight, error, logger));
}
