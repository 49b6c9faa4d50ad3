import { and, eq, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

import type { Db } from "../db/engine";
import { type InterceptionConditions, type Reader, readableBy } from "../db/interception-queries";
import { resultRows } from "../db/migrate";
import {
  interceptions,
  spendByModelDaily,
  spendByUserDaily,
  spendByUserMonthly,
  spendDaily,
  tokenUsages,
} from "../db/schema";
import { monthStart, nextMonthStart } from "./month";

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
  initiator?: PgColumn;
  provider?: PgColumn;
  model?: PgColumn;
  client?: PgColumn;
  /** The start time (or day bucket) of the rows. */
  time: PgColumn;
}

/**
 * The group key in its own type (uuid, timestamptz, text): grouping and joining stay cheap, and
 * only the final rows are turned into text (a username, a date).
 */
function groupKey(group: SpendGroup, c: Columns, bucketed: boolean): SQL {
  switch (group) {
    case "user":
      return sql`${c.initiator!}`;
    case "day":
      return bucketed ? sql`${c.time}` : sql`date_trunc('day', ${c.time}, 'UTC')`;
    default:
      return sql`${c[group]!}`;
  }
}

// Only called with a source that has every column the filter names (see `source`).
function filters(reader: Reader, f: InterceptionConditions, c: Columns): SQL | undefined {
  return and(
    c.initiator ? readableBy(reader, c.initiator) : undefined,
    f.initiatorId === undefined ? undefined : eq(c.initiator!, f.initiatorId),
    f.provider === undefined ? undefined : eq(c.provider!, f.provider),
    f.model === undefined ? undefined : eq(c.model!, f.model),
    f.client === undefined ? undefined : eq(c.client!, f.client),
  );
}

const fullColumns: Columns = {
  initiator: spendDaily.initiatorId,
  provider: spendDaily.provider,
  model: spendDaily.model,
  client: spendDaily.client,
  time: spendDaily.day,
};
const byUserColumns: Columns = { initiator: spendByUserDaily.initiatorId, time: spendByUserDaily.day };
const byModelColumns: Columns = {
  provider: spendByModelDaily.provider,
  model: spendByModelDaily.model,
  client: spendByModelDaily.client,
  time: spendByModelDaily.day,
};

const byUserMonthColumns: Columns = {
  initiator: spendByUserMonthly.initiatorId,
  time: spendByUserMonthly.month,
};

type Rollup =
  | typeof spendDaily
  | typeof spendByUserDaily
  | typeof spendByUserMonthly
  | typeof spendByModelDaily;

/** The narrowest rollup that has every column the group, the filters and the reader's rights need. */
function source(reader: Reader, group: SpendGroup, f: InterceptionConditions): [Rollup, Columns] {
  const byDimension = f.provider !== undefined || f.model !== undefined || f.client !== undefined;
  if ((group === "user" || group === "day") && !byDimension) return [spendByUserDaily, byUserColumns];
  const byUser = f.initiatorId !== undefined || readableBy(reader, spendDaily.initiatorId) !== undefined;
  if (group !== "user" && !byUser) return [spendByModelDaily, byModelColumns];
  return [spendDaily, fullColumns];
}
const rowColumns: Columns = {
  initiator: interceptions.initiatorId,
  provider: interceptions.provider,
  model: interceptions.model,
  client: interceptions.client,
  time: interceptions.startedAt,
};

/**
 * Spend grouped by one dimension (SPEC §15). Whole UTC days come from a rollup kept exact by
 * triggers (drizzle/0008), the narrowest that can answer, so a month costs days × keys, not rows;
 * only partial days at the ends of the range are read from the interceptions and their usage rows.
 * The authorization filter is in every part.
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
    sql`SELECT ${groupKey(group, rowColumns, false)} AS key, count(DISTINCT ${interceptions.id}) AS n,
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
    const [rollup, columns] = source(reader, group, f);
    const part = (r: Rollup, c: Columns, from: Date, to: Date) =>
      sql`SELECT ${groupKey(group, c, true)} AS key, sum(${r.interceptions}) AS n,
        sum(${r.inputTokens}) AS i, sum(${r.outputTokens}) AS o, sum(${r.cacheReadInputTokens}) AS r,
        sum(${r.cacheWriteInputTokens}) AS w, sum(${r.costMicros}) AS c, sum(${r.unpricedUsages}) AS u
      FROM ${r}
      WHERE ${and(filters(reader, f, c), sql`${c.time} >= ${at(from)} AND ${c.time} < ${at(to)}`)}
      GROUP BY 1`;
    // Whole calendar months of spend by user come from the monthly rollup: one row per user.
    const m1 = new Date(
      lo.getTime() === monthStart(lo.getTime()) ? lo.getTime() : nextMonthStart(lo.getTime()),
    );
    const m2 = new Date(monthStart(hi.getTime()));
    if (rollup === spendByUserDaily && group === "user" && m1 < m2) {
      if (lo < m1) parts.push(part(rollup, columns, lo, m1));
      parts.push(part(spendByUserMonthly, byUserMonthColumns, m1, m2));
      if (m2 < hi) parts.push(part(rollup, columns, m2, hi));
    } else {
      parts.push(part(rollup, columns, lo, hi));
    }
  }
  const union = sql.join(parts, sql` UNION ALL `);
  const label =
    group === "user"
      ? sql`coalesce(u.username, t.key::text)`
      : group === "day"
        ? sql`to_char(t.key AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
        : sql`t.key`;
  const order = group === "day" ? sql`t.key` : sql`sum(t.c) DESC, 1`;
  const join = group === "user" ? sql`LEFT JOIN users u ON u.id = t.key` : sql``;
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
