import { sql } from "drizzle-orm";

import type { Db } from "./engine";
import { resultRows } from "./migrate";

export interface InstanceRow {
  id: string;
  hostname: string;
  pid: number;
  startedAt: Date;
}

/** Says this instance is alive at `at`: inserts its row, or refreshes `last_seen_at`. */
export async function heartbeat(db: Db, instance: InstanceRow, at: Date): Promise<void> {
  await db.execute(sql`
    INSERT INTO aibridge_instances (id, hostname, pid, started_at, last_seen_at)
    VALUES (${instance.id}, ${instance.hostname}, ${instance.pid}, ${instance.startedAt.toISOString()}::timestamptz,
      ${at.toISOString()}::timestamptz)
    ON CONFLICT (id) DO UPDATE SET last_seen_at = GREATEST(aibridge_instances.last_seen_at, excluded.last_seen_at)`);
}

export const INTERRUPTED_MESSAGE = "the gateway process handling it stopped before it ended";

/**
 * The crash sweep (SPEC §13): every unended interception of an instance not seen since `cutoff`
 * (other than `self`) is ended at the latest of its start and its rows' `created_at`, as
 * `interrupted`; then the dead instance's row is deleted, so it is swept once. Its interceptions
 * are found through the `started_at` index, from the instance's own start on: this scan happens
 * once per dead instance, and an index on `instance_id` would cost every request an insert.
 * An instance that was only stalled heartbeats again and re-creates its row; ends it writes
 * afterwards overwrite `interrupted`.
 */
export async function sweepDeadInstances(db: Db, self: string, cutoff: Date): Promise<number> {
  const rows = await db.execute(sql`
    WITH dead AS (
      DELETE FROM aibridge_instances
      WHERE last_seen_at < ${cutoff.toISOString()}::timestamptz AND id <> ${self}
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
        error_message = ${INTERRUPTED_MESSAGE}
      FROM dead
      WHERE i.instance_id = dead.id AND i.started_at >= dead.started_at AND i.ended_at IS NULL
      RETURNING i.id
    )
    SELECT count(*)::int AS n FROM ended`);
  return Number(resultRows<{ n: number }>(rows)[0]?.n ?? 0);
}

/** A process that stops cleanly has ended everything it started (or spilled the ends): it leaves. */
export async function removeInstance(db: Db, id: string): Promise<void> {
  await db.execute(sql`DELETE FROM aibridge_instances WHERE id = ${id}`);
}
