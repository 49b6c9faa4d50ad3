import type { Database } from "./engine";

export interface InstanceRow {
  id: string;
  hostname: string;
  pid: number;
  startedAt: Date;
}

const HEARTBEAT = `
INSERT INTO aibridge_instances (id, hostname, pid, started_at, last_seen_at)
VALUES ($1::uuid, $2, $3::int, $4::timestamptz, $5::timestamptz)
ON CONFLICT (id) DO UPDATE SET last_seen_at = GREATEST(aibridge_instances.last_seen_at, excluded.last_seen_at)`;

/** Says this instance is alive at `at`: inserts its row, or refreshes `last_seen_at`. */
export async function heartbeat(database: Database, instance: InstanceRow, at: Date): Promise<void> {
  await database.background(HEARTBEAT, [
    instance.id,
    instance.hostname,
    instance.pid,
    instance.startedAt.toISOString(),
    at.toISOString(),
  ]);
}

export const INTERRUPTED_MESSAGE = "the gateway process handling it stopped before it ended";

/*
 * The crash sweep (SPEC §13): every unended interception of an instance not seen since the cutoff
 * (other than the sweeper) is ended at the latest of its start and its rows' `created_at`, as
 * `interrupted`; the dead instance's row is deleted, so it is swept once. Its interceptions are
 * those started since the instance's own start: a scan once per dead instance (and none at all on
 * the ticks that find no dead instance), where an index on `instance_id` would cost every request
 * an insert. An
 * instance that was only stalled heartbeats again and re-creates its row; the ends it writes
 * afterwards overwrite `interrupted`.
 */
const SWEEP = `
WITH dead AS (
  DELETE FROM aibridge_instances
  WHERE last_seen_at < $2::timestamptz AND id <> $1::uuid
  RETURNING id, started_at
),
ended AS (
  UPDATE aibridge_interceptions i SET
    ended_at = GREATEST(i.started_at,
      (SELECT max(created_at) FROM aibridge_token_usages WHERE interception_id = i.id),
      (SELECT max(created_at) FROM aibridge_user_prompts WHERE interception_id = i.id),
      (SELECT max(created_at) FROM aibridge_tool_usages WHERE interception_id = i.id),
      (SELECT max(created_at) FROM aibridge_model_thoughts WHERE interception_id = i.id)),
    error_type = 'interrupted',
    error_message = $3
  -- The ids first (an array: one primary-key probe each), so that a sweep with no dead instance,
  -- every other tick, reads no interception at all instead of every unended one.
  WHERE i.id = ANY(ARRAY(
    SELECT x.id FROM dead
    CROSS JOIN LATERAL (
      SELECT x.id FROM aibridge_interceptions x
      WHERE x.instance_id = dead.id AND x.started_at >= dead.started_at AND x.ended_at IS NULL
      OFFSET 0 -- kept a subquery run per dead instance: never a scan the planner starts with
    ) x
  )) AND i.ended_at IS NULL
  RETURNING i.id
)
SELECT count(*)::int AS n FROM ended`;

/**
 * How far the database server's clock is ahead of `local` (ms to add), from one round trip.
 * Heartbeats and sweep cutoffs are written on the database's clock, so that replicas whose own
 * clocks disagree (by more than the 60 s a dead instance is given) still judge each other alike.
 */
export async function databaseClockOffset(database: Database, local: () => number): Promise<number> {
  const sent = local();
  const [row] = await database.background<{ ms: number }>(
    "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms",
    [],
  );
  return Number(row!.ms) - (sent + local()) / 2;
}

/** Runs the crash sweep for instances not seen since `cutoff`; returns how many interceptions it ended. */
export async function sweepDeadInstances(database: Database, self: string, cutoff: Date): Promise<number> {
  const rows = await database.background<{ n: number }>(SWEEP, [
    self,
    cutoff.toISOString(),
    INTERRUPTED_MESSAGE,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** A process that stops cleanly has ended everything it started (or spilled the ends): it leaves. */
export async function removeInstance(database: Database, id: string): Promise<void> {
  await database.background("DELETE FROM aibridge_instances WHERE id = $1::uuid", [id]);
}
