import { Elysia } from "elysia";

import { ApiError } from "./errors";

const MAX_DEPTH = 64;

/** Where the first string holding a NUL is in `value` (`name`, `name.key`, `name.0`…), or null. */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return null;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes("\0")) return path;
    const found = findNul(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

function isUtf8Path(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * SPEC §13: the management API answers 400, never 500, to a path that is not UTF-8, or a NUL byte
 * in a path parameter or a body (PostgreSQL cannot store or even compare one). Query strings are
 * checked by each route's own parser, which names the search key at fault. Scoped: each
 * management plugin uses it for its own routes (never the data plane, whose bodies are relayed as
 * sent); the error handler's answer to a database "data exception" is the backstop.
 */
export function rejectNul() {
  return new Elysia().onBeforeHandle({ as: "scoped" }, ({ params, body, path }) => {
    if (!isUtf8Path(path)) {
      throw new ApiError(400, "Invalid request.", "The path is not valid percent-encoded UTF-8.");
    }
    const field = findNul(params, "params") ?? findNul(body, "body");
    if (!field) return;
    const name = field.replace(/^(params|body)\.?/, "") || field;
    throw new ApiError(400, "Invalid request.", undefined, [
      { field: name, detail: "must not contain NUL characters" },
    ]);
  });
}
