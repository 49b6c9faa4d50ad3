import { and, eq, sql } from "drizzle-orm";

import type { Db } from "../db/engine";
import { prices as pricesTable } from "../db/schema";
import type { CatalogModel } from "./catalog";
import type { ModelPrices, PriceEntry, PriceSource } from "./prices";

type PriceRow = typeof pricesTable.$inferSelect;

function columns(p: ModelPrices) {
  const long = p.longContext;
  return {
    input: p.input,
    output: p.output,
    cacheRead: p.cacheRead,
    cacheWrite5m: p.cacheWrite5m,
    cacheWrite1h: p.cacheWrite1h,
    thresholdTokens: long?.thresholdTokens ?? null,
    longInput: long?.input ?? null,
    longOutput: long?.output ?? null,
    longCacheRead: long?.cacheRead ?? null,
    longCacheWrite5m: long?.cacheWrite5m ?? null,
    longCacheWrite1h: long?.cacheWrite1h ?? null,
  };
}

export function toEntry(row: PriceRow): PriceEntry {
  return {
    provider: row.provider,
    model: row.model,
    source: row.source,
    updatedAt: row.updatedAt,
    prices: {
      input: row.input,
      output: row.output,
      cacheRead: row.cacheRead,
      cacheWrite5m: row.cacheWrite5m,
      cacheWrite1h: row.cacheWrite1h,
      longContext:
        row.thresholdTokens === null
          ? null
          : {
              thresholdTokens: row.thresholdTokens,
              input: row.longInput,
              output: row.longOutput,
              cacheRead: row.longCacheRead,
              cacheWrite5m: row.longCacheWrite5m,
              cacheWrite1h: row.longCacheWrite1h,
            },
    },
  };
}

// Table field → column name of every price column.
const PRICE_COLUMNS = {
  input: "input",
  output: "output",
  cacheRead: "cache_read",
  cacheWrite5m: "cache_write_5m",
  cacheWrite1h: "cache_write_1h",
  thresholdTokens: "threshold_tokens",
  longInput: "long_input",
  longOutput: "long_output",
  longCacheRead: "long_cache_read",
  longCacheWrite5m: "long_cache_write_5m",
  longCacheWrite1h: "long_cache_write_1h",
} as const;
const names = Object.values(PRICE_COLUMNS);
const changed = sql.raw(
  `(${names.map((c) => `aibridge_prices.${c}`).join(", ")}) IS DISTINCT FROM (${names.map((c) => `excluded.${c}`).join(", ")})`,
);
const takeExcluded = Object.fromEntries(
  Object.entries(PRICE_COLUMNS).map(([field, column]) => [field, sql.raw(`excluded.${column}`)]),
);

/**
 * Seeds the catalog's prices (at every start): new models are added and catalog rows follow the
 * catalog, but a custom row is never overwritten.
 */
export async function seedCatalogPrices(db: Db, models: CatalogModel[]): Promise<void> {
  if (models.length === 0) return;
  await db
    .insert(pricesTable)
    .values(
      models.map((m) => ({
        provider: m.provider,
        model: m.model,
        source: "catalog" as const,
        ...columns(m.prices),
      })),
    )
    .onConflictDoUpdate({
      target: [pricesTable.provider, pricesTable.model],
      set: { ...takeExcluded, updatedAt: sql`now()` },
      setWhere: sql`aibridge_prices.source = 'catalog' AND ${changed}`,
    });
}

export async function loadPrices(db: Db): Promise<PriceEntry[]> {
  const rows = await db.select().from(pricesTable).orderBy(pricesTable.provider, pricesTable.model);
  return rows.map(toEntry);
}

export async function putCustomPrice(
  db: Db,
  provider: string,
  model: string,
  prices: ModelPrices,
): Promise<PriceEntry> {
  const values = {
    provider,
    model,
    source: "custom" as PriceSource,
    ...columns(prices),
    updatedAt: new Date(),
  };
  const [row] = await db
    .insert(pricesTable)
    .values(values)
    .onConflictDoUpdate({ target: [pricesTable.provider, pricesTable.model], set: values })
    .returning();
  return toEntry(row!);
}

/**
 * Removes a custom price; the catalog's price for that model (if it has one) takes its place.
 * Catalog rows cannot be deleted (they would come back at the next start). false = no custom row.
 */
export async function deleteCustomPrice(
  db: Db,
  provider: string,
  model: string,
  catalog: CatalogModel | undefined,
): Promise<boolean> {
  const deleted = await db
    .delete(pricesTable)
    .where(
      and(eq(pricesTable.provider, provider), eq(pricesTable.model, model), eq(pricesTable.source, "custom")),
    )
    .returning({ model: pricesTable.model });
  if (deleted.length === 0) return false;
  if (catalog) await seedCatalogPrices(db, [catalog]);
  return true;
}
