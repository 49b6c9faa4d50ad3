import { isDatabaseUnavailable, sqlState } from "../db/unavailable";

/** SPEC §13: pending records are retried for as long as the process lives, at most this far apart. */
export const MAX_BACKOFF_MS = 5000;

/** Wait before retry `attempt` (1, 2, …): 100 ms doubling, capped at 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.max(1, attempt));
}

// SQLSTATE classes that say "not now" rather than "not this row": transaction rollback
// (serialization, deadlock), insufficient resources (disk full, too many connections), object not
// in prerequisite state (lock not available), system error (I/O), internal error.
const TRANSIENT_SQLSTATE = /^(40|53|55|58|XX)[0-9A-Z]{3}$/;

/**
 * Whether a failed write is worth sending again as it is (the database is unreachable or busy),
 * rather than rejected because of what it holds (a value it cannot store, a constraint, a limit
 * such as an index row too large): the records of a rejected write are isolated, so that only the
 * ones at fault are set aside.
 */
export function isTransientWriteFailure(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const state = sqlState(error);
  return state !== null && TRANSIENT_SQLSTATE.test(state);
}
