import { and, eq, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

import type { Db } from "../db/engine";
import { type InterceptionConditions, type Reader, readableBy } from "../db/interception-queries";
import { resultRows } from "../db/migrate";
import { initiatorInterceptionCounts, interceptions, spendDaily, tokenUsages } from "../db/schema";

export const SPEND_GROUPS = ["user", "model", "provider", "client", "day"] as const;
export type SpendGroup = (typeof SPEND_GROUPS)[number];

export interface SpendRow {
  key: string;
  interceptions: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_write_input_tokens: number;
  cost_micros: number;
  unpriced_interceptions: number;
}

/** [from, to): the time range of interception starts the spend covers. */
export interface SpendRange {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

// A bound time as text: raw statements get no driver-side type for a Date on every engine.
const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

interface Columns {
  initiator: PgColumn;
  provider: PgColumn;
  model: PgColumn;
  client: PgColumn;
  /** The start time (or day bucket) of the rows. */
  time: PgColumn;
}

function groupKey(group: SpendGroup, c: Columns): SQL {
  switch (group) {
    case "user":
      return sql`${c.initiator}::text`;
    case "day":
      return sql`to_char(date_trunc('day', ${c.time}, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
    default:
      return sql`${c[group]}`;
  }
}

function filters(reader: Reader, f: InterceptionConditions, c: Columns): SQL | undefined {
  return and(
    readableBy(reader, c.initiator),
    f.initiatorId === undefined ? undefined : eq(c.initiator, f.initiatorId),
    f.provider === undefined ? undefined : eq(c.provider, f.provider),
    f.model === undefined ? undefined : eq(c.model, f.model),
    f.client === undefined ? undefined : eq(c.client, f.client),
  );
}

const spendColumns: Columns = {
  initiator: spendDaily.initiatorId,
  provider: spendDaily.provider,
  model: spendDaily.model,
  client: spendDaily.client,
  time: spendDaily.day,
};
const countColumns: Columns = {
  initiator: initiatorInterceptionCounts.initiatorId,
  provider: initiatorInterceptionCounts.provider,
  model: initiatorInterceptionCounts.model,
  client: initiatorInterceptionCounts.client,
  time: initiatorInterceptionCounts.bucket,
};
const rowColumns: Columns = {
  initiator: interceptions.initiatorId,
  provider: interceptions.provider,
  model: interceptions.model,
  client: interceptions.client,
  time: interceptions.startedAt,
};

/**
 * Spend grouped by one dimension (SPEC §15). Whole UTC days come from two rollups kept exact by
 * triggers (usage and cost: aibridge_spend_daily; finished interceptions: the per-initiator count
 * rollup), so a month costs days × keys, not rows; only partial days at the ends of the range are
 * read from the interceptions and their usage rows. The authorization filter is in every part.
 */
export async function spendBy(
  db: Db,
  reader: Reader,
  group: SpendGroup,
  f: InterceptionConditions,
  range: SpendRange,
): Promise<SpendRow[]> {
  const lo = new Date(Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS);
  const hi = new Date(Math.floor(range.to.getTime() / DAY_MS) * DAY_MS);
  const parts: SQL[] = [];
  const exact = (from: Date, to: Date) =>
    sql`SELECT ${groupKey(group, rowColumns)} AS key, count(DISTINCT ${interceptions.id}) AS n,
        coalesce(sum(${tokenUsages.inputTokens}), 0) AS i, coalesce(sum(${tokenUsages.outputTokens}), 0) AS o,
        coalesce(sum(${tokenUsages.cacheReadInputTokens}), 0) AS r, coalesce(sum(${tokenUsages.cacheWriteInputTokens}), 0) AS w,
        coalesce(sum(${tokenUsages.costMicros}), 0) AS c,
        count(${tokenUsages.id}) - count(${tokenUsages.costMicros}) AS u
      FROM ${interceptions} LEFT JOIN ${tokenUsages} ON ${tokenUsages.interceptionId} = ${interceptions.id}
      WHERE ${and(
        sql`${interceptions.endedAt} IS NOT NULL`,
        filters(reader, f, rowColumns),
        sql`${interceptions.startedAt} >= ${at(from)} AND ${interceptions.startedAt} < ${at(to)}`,
      )}
      GROUP BY 1`;
  if (lo >= hi) {
    parts.push(exact(range.from, range.to));
  } else {
    if (range.from < lo) parts.push(exact(range.from, lo));
    if (hi < range.to) parts.push(exact(hi, range.to));
    parts.push(sql`SELECT ${groupKey(group, spendColumns)} AS key, 0 AS n, sum(${spendDaily.inputTokens}) AS i,
        sum(${spendDaily.outputTokens}) AS o, sum(${spendDaily.cacheReadInputTokens}) AS r,
        sum(${spendDaily.cacheWriteInputTokens}) AS w, sum(${spendDaily.costMicros}) AS c,
        sum(${spendDaily.unpricedUsages}) AS u
      FROM ${spendDaily}
      WHERE ${and(filters(reader, f, spendColumns), sql`${spendDaily.day} >= ${at(lo)} AND ${spendDaily.day} < ${at(hi)}`)}
      GROUP BY 1`);
    parts.push(sql`SELECT ${groupKey(group, countColumns)} AS key, sum(${initiatorInterceptionCounts.interceptions}) AS n,
        0 AS i, 0 AS o, 0 AS r, 0 AS w, 0 AS c, 0 AS u
      FROM ${initiatorInterceptionCounts}
      WHERE ${and(
        filters(reader, f, countColumns),
        sql`${initiatorInterceptionCounts.bucket} >= ${at(lo)} AND ${initiatorInterceptionCounts.bucket} < ${at(hi)}`,
      )}
      GROUP BY 1`);
  }
  const union = sql.join(parts, sql` UNION ALL `);
  const label = group === "user" ? sql`coalesce(u.username, t.key)` : sql`t.key`;
  const order = group === "day" ? sql`t.key` : sql`sum(t.c) DESC, t.key`;
  const join = group === "user" ? sql`LEFT JOIN users u ON u.id::text = t.key` : sql``;
  const rows = resultRows<Record<string, string | number>>(
    await db.execute(sql`
      SELECT ${label} AS key, sum(t.n) AS n, sum(t.i) AS i, sum(t.o) AS o, sum(t.r) AS r, sum(t.w) AS w,
        sum(t.c) AS c, sum(t.u) AS u
      FROM (${union}) t ${join}
      GROUP BY t.key${group === "user" ? sql`, u.username` : sql``}
      HAVING sum(t.n) > 0 OR sum(t.i) + sum(t.o) + sum(t.r) + sum(t.w) + sum(t.c) + sum(t.u) > 0
      ORDER BY ${order}`),
  );
  return rows.map((r) => ({
    key: String(r.key),
    interceptions: Number(r.n),
    input_tokens: Number(r.i),
    output_tokens: Number(r.o),
    cache_read_input_tokens: Number(r.r),
    cache_write_input_tokens: Number(r.w),
    cost_micros: Number(r.c),
    unpriced_interceptions: Number(r.u),
  }));
}
