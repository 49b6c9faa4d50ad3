import type { Flight } from "./flight";
import type { InterceptionLog, InterceptionOutcome } from "./interception-log";

const INTERNAL_ERROR: InterceptionOutcome = { status: 500, error: "internal error" };

/**
 * Ends whatever the request still holds: its interception (with `outcome`, when nothing ended it
 * yet), its circuit-breaker permit (not counted as an upstream failure) and its concurrency slot.
 * Each part is returned once; calling it again does nothing.
 */
export function endFlight(flight: Flight, interceptions: InterceptionLog, outcome = INTERNAL_ERROR): void {
  try {
    if (flight.interception) interceptions.finish(flight, outcome);
  } finally {
    flight.breakerPermit?.done(false);
    flight.releaseSlot();
  }
}

/**
 * The one owner of a forwarded request's life (SPEC §13 invariant): once `work` has been entered,
 * every exit path, exceptions included, ends the interception and returns the slot and the permit.
 * A response whose body owns the end (a relayed stream) ends them itself, through `endFlight`,
 * when the body ends, fails or is cancelled.
 */
export async function owned(
  flight: Flight,
  interceptions: InterceptionLog,
  work: () => Promise<Response>,
): Promise<Response> {
  let completed = false;
  try {
    const response = await work();
    completed = true;
    return response;
  } finally {
    if (!completed) flight.bodyOwnsEnd = false;
    if (!flight.bodyOwnsEnd) endFlight(flight, interceptions);
  }
}
