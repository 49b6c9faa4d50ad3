import { eq, inArray, lt } from "drizzle-orm";

import type { Db } from "../db/engine";
import {
  initiatorInterceptionCounts,
  interceptionCounts,
  interceptions,
  modelThoughts,
  tokenUsages,
  toolUsages,
  userPrompts,
} from "../db/schema";

/**
 * Deletes interceptions started before the cutoff and their children, in bounded batches, then the
 * count buckets that deleting emptied (so the rollups stay as small as the retained history).
 */
export async function deleteExpiredInterceptions(db: Db, cutoff: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const victims = tx
        .select({ id: interceptions.id })
        .from(interceptions)
        .where(lt(interceptions.startedAt, cutoff))
        .limit(batch);
      const ids = (
        await tx
          .delete(interceptions)
          .where(inArray(interceptions.id, victims))
          .returning({ id: interceptions.id })
      ).map((r) => r.id);
      if (ids.length > 0) {
        // Children have no foreign key (see schema.ts), so they go explicitly, in the same transaction.
        await tx.delete(tokenUsages).where(inArray(tokenUsages.interceptionId, ids));
        await tx.delete(userPrompts).where(inArray(userPrompts.interceptionId, ids));
        await tx.delete(toolUsages).where(inArray(toolUsages.interceptionId, ids));
        await tx.delete(modelThoughts).where(inArray(modelThoughts.interceptionId, ids));
      }
      return ids.length;
    });
    total += deleted;
    if (deleted < batch) break;
  }
  await db.delete(interceptionCounts).where(eq(interceptionCounts.interceptions, 0));
  await db.delete(initiatorInterceptionCounts).where(eq(initiatorInterceptionCounts.interceptions, 0));
  return total;
}
