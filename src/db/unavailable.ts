// postgres.js connection states, socket errors, and the embedded engine's thread being gone.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EMBEDDED_DATABASE_CLOSED",
]);

// Bun's native client: ERR_POSTGRES_CONNECTION_CLOSED, _REFUSED, _TIMEOUT, ERR_POSTGRES_IDLE_TIMEOUT…
const NATIVE_CLIENT_CODE = /^ERR_POSTGRES_(CONNECTION_\w+|IDLE_TIMEOUT|LIFETIME_TIMEOUT)$/;

// SQLSTATE classes 08 (connection exception) and 57 (operator intervention: shutdown, terminated
// backend, cancelled statement); Bun's native client reports the SQLSTATE in `errno`.
const UNAVAILABLE_SQLSTATE = /^(08|57)[0-9A-Z]{3}$/;

const unavailableCode = (code: unknown) =>
  typeof code === "string" &&
  (CONNECTION_CODES.has(code) || NATIVE_CLIENT_CODE.test(code) || UNAVAILABLE_SQLSTATE.test(code));

/**
 * Whether a failed query says the database could not be reached or dropped the connection (worth
 * a retry: 503), rather than that the statement itself was wrong. Follows `cause` through
 * Drizzle's query errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const { code, errno } = current as { code?: unknown; errno?: unknown };
    if (unavailableCode(code) || unavailableCode(errno)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The SQLSTATE of a failed query, following `cause` (postgres.js and PGlite: `code`; Bun: `errno`). */
export function sqlState(error: unknown): string | null {
  let current = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    for (const value of [(current as { code?: unknown }).code, (current as { errno?: unknown }).errno]) {
      if (typeof value === "string" && /^[0-9A-Z]{5}$/.test(value)) return value;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
