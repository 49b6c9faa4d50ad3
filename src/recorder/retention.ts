import { inArray, lt } from "drizzle-orm";

import type { Db } from "../db/engine";
import { interceptions } from "../db/schema";

/** Deletes interceptions (children cascade) started before the cutoff, in bounded batches. */
export async function deleteExpiredInterceptions(db: Db, cutoff: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const victims = db
      .select({ id: interceptions.id })
      .from(interceptions)
      .where(lt(interceptions.startedAt, cutoff))
      .limit(batch);
    const deleted = await db
      .delete(interceptions)
      .where(inArray(interceptions.id, victims))
      .returning({ id: interceptions.id });
    total += deleted.length;
    if (deleted.length < batch) return total;
  }
}
