import { sql } from "drizzle-orm";

import type { Db } from "../db/engine";
import { interceptions, tokenUsages, toolUsages, userPrompts } from "../db/schema";
import type { InterceptionRecord, PendingBatch } from "./records";

export async function insertInterceptions(db: Db, rows: InterceptionRecord[]): Promise<void> {
  await db.insert(interceptions).values(rows);
}

/** Writes children before the ends in one transaction: an ended interception always has its rows. */
export async function writeBatch(db: Db, batch: PendingBatch): Promise<void> {
  await db.transaction(async (tx) => {
    if (batch.tokenUsages.length) await tx.insert(tokenUsages).values(batch.tokenUsages);
    if (batch.userPrompts.length) await tx.insert(userPrompts).values(batch.userPrompts);
    if (batch.toolUsages.length) await tx.insert(toolUsages).values(batch.toolUsages);
    if (batch.ends.length) {
      const values = sql.join(
        batch.ends.map((e) => sql`(${e.id}::uuid, ${e.endedAt.toISOString()}::timestamptz)`),
        sql`, `,
      );
      await tx.execute(
        sql`UPDATE ${interceptions} SET ended_at = v.ended_at FROM (VALUES ${values}) AS v(id, ended_at) WHERE ${interceptions.id} = v.id`,
      );
    }
  });
}
