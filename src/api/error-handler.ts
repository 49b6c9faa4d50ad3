import { Elysia, type ValidationError } from "elysia";

import { isDatabaseUnavailable, sqlState } from "../db/unavailable";
import type { Logger } from "../observability/logger";
import { ApiError, type ApiErrorBody, type Validation } from "./errors";

const json = (status: number, body: ApiErrorBody, headers?: Record<string, string>) =>
  Response.json(body, { status, headers });

function validationsOf(error: ValidationError): Validation[] {
  return error.all.map((e) => {
    const path =
      "path" in e && typeof e.path === "string" ? e.path.replace(/^\//, "").replace(/\//g, ".") : "";
    return { field: path || error.type, detail: "message" in e && e.message ? e.message : "is invalid" };
  });
}

const isDataException = (error: unknown) => sqlState(error)?.startsWith("22") ?? false;

/** Maps every management-side failure to `{message, detail?, validations?}`; nothing internal leaks. */
export function managementErrors(logger: Logger) {
  return new Elysia({ name: "management-errors" }).onError({ as: "global" }, ({ code, error, request }) => {
    if (error instanceof ApiError) return json(error.status, error.toBody());
    switch (code) {
      case "VALIDATION": {
        const where =
          error.type === "body" ? "request body" : error.type === "query" ? "query parameters" : error.type;
        return json(400, {
          message: `Invalid ${where}.`,
          validations: validationsOf(error as ValidationError),
        });
      }
      case "PARSE":
        return json(400, { message: "Invalid request body.", detail: "The body is not valid JSON." });
      case "NOT_FOUND":
        return json(404, {
          message: "Not found.",
          detail: `No route for ${request.method} ${new URL(request.url).pathname}.`,
        });
      case "INVALID_COOKIE_SIGNATURE":
      case "INVALID_FILE_TYPE":
        return json(400, { message: "Invalid request." });
      default: {
        const path = new URL(request.url).pathname;
        // SQLSTATE class 22 (data exception): a value from the request the database cannot take
        // (out of range, not storable). The client's doing: 400, not logged as a failure.
        if (isDataException(error)) {
          return json(400, {
            message: "Invalid request.",
            detail: "A value in the request is out of range or cannot be stored.",
          });
        }
        if (isDatabaseUnavailable(error)) {
          logger.warn("management request failed: database unavailable", { error, path });
          return json(
            503,
            { message: "The database is unavailable right now; try again shortly." },
            { "retry-after": "1" },
          );
        }
        logger.error("unhandled management error", { error, path });
        return json(500, { message: "Internal server error." });
      }
    }
  });
}
