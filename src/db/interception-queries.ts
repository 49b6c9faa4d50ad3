import { and, asc, count, desc, eq, exists, gt, gte, isNotNull, lt, lte, type SQL, sql } from "drizzle-orm";
import { alias, type PgColumn } from "drizzle-orm/pg-core";

import type { Db } from "./engine";
import { resultRows } from "./migrate";
import {
  initiatorInterceptionCounts,
  interceptionCounts,
  interceptions,
  modelThoughts,
  type Role,
  tokenUsages,
  toolUsages,
  userPrompts,
  users,
} from "./schema";

/** Who is reading: the authorization filter is derived from this alone. */
export interface Reader {
  userId: string;
  role: Role;
}

/** Equality and time filters with the initiator already resolved to a user id. */
export interface InterceptionConditions {
  initiatorId?: string;
  provider?: string;
  model?: string;
  client?: string;
  /** Inclusive. */
  startedAfter?: Date;
  /** Inclusive. */
  startedBefore?: Date;
}

export interface InterceptionPage {
  limit: number;
  offset: number;
  /** Rows strictly after this interception in (started_at DESC, id DESC) order. */
  afterId: string | null;
}

export type TokenUsageRow = typeof tokenUsages.$inferSelect;
export type UserPromptRow = typeof userPrompts.$inferSelect;
export type ToolUsageRow = typeof toolUsages.$inferSelect;
export type ModelThoughtRow = typeof modelThoughts.$inferSelect;

export interface InterceptionWithChildren {
  id: string;
  apiKeyId: string;
  initiator: { id: string; username: string; name: string; avatarUrl: string };
  provider: string;
  model: string;
  client: string;
  clientSessionId: string | null;
  metadata: Record<string, unknown>;
  credentialKind: "centralized" | "byok";
  credentialHint: string;
  startedAt: Date;
  endedAt: Date;
  threadParentId: string | null;
  threadRootId: string | null;
  sessionId: string | null;
  status: number | null;
  errorType: string | null;
  errorMessage: string | null;
  tokenUsages: TokenUsageRow[];
  userPrompts: UserPromptRow[];
  toolUsages: ToolUsageRow[];
  modelThoughts: ModelThoughtRow[];
}

/** `after_id` names no interception this reader can list. */
export class UnknownCursorError extends Error {}

/**
 * The authorization filter, the one place it is decided (SPEC §9): owners and auditors read every
 * interception, members only those they initiated. `undefined` means "no restriction". `initiator`
 * is the column it applies to: the interceptions' own, or a count rollup's.
 */
export function readableBy(reader: Reader, initiator: PgColumn = interceptions.initiatorId): SQL | undefined {
  if (reader.role === "owner" || reader.role === "auditor") return undefined;
  return eq(initiator, reader.userId);
}

/** What a reader may list: finished interceptions they are allowed to read. */
function listable(reader: Reader): SQL {
  return and(isNotNull(interceptions.endedAt), readableBy(reader))!;
}

/** The reader's rows narrowed by the search filters, finished or not. */
function readableMatching(reader: Reader, c: InterceptionConditions): SQL | undefined {
  return and(
    readableBy(reader),
    c.initiatorId === undefined ? undefined : eq(interceptions.initiatorId, c.initiatorId),
    c.provider === undefined ? undefined : eq(interceptions.provider, c.provider),
    c.model === undefined ? undefined : eq(interceptions.model, c.model),
    c.client === undefined ? undefined : eq(interceptions.client, c.client),
    c.startedAfter === undefined ? undefined : gte(interceptions.startedAt, c.startedAfter),
    c.startedBefore === undefined ? undefined : lte(interceptions.startedAt, c.startedBefore),
  );
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * How many finished rows match. Whole UTC buckets come from a rollup kept exact by triggers
 * (drizzle/0002): hours over every initiator, or days of one initiator when the count is limited
 * to one (a member, or an `initiator` filter). Only the partial buckets at the ends of a time range
 * are counted in `aibridge_interceptions` itself, so the cost no longer grows with the rows matched.
 */
async function countFinished(db: Db, reader: Reader, c: InterceptionConditions): Promise<number> {
  const restricted = readableBy(reader, initiatorInterceptionCounts.initiatorId);
  const byInitiator = restricted !== undefined || c.initiatorId !== undefined;
  const rollup = byInitiator ? initiatorInterceptionCounts : interceptionCounts;
  const width = byInitiator ? DAY_MS : HOUR_MS;
  // Buckets in [lo, hi) lie wholly inside [startedAfter, startedBefore]; null = unbounded.
  const lo = c.startedAfter && new Date(Math.ceil(c.startedAfter.getTime() / width) * width);
  const hi = c.startedBefore && new Date(Math.floor(c.startedBefore.getTime() / width) * width);
  const exact = (from: Date | undefined, before: Date | undefined, until: Date | undefined) =>
    db
      .select({ n: count() })
      .from(interceptions)
      .where(
        and(
          isNotNull(interceptions.endedAt),
          readableMatching(reader, { ...c, startedAfter: undefined, startedBefore: undefined }),
          from === undefined ? undefined : gte(interceptions.startedAt, from),
          before === undefined ? undefined : lt(interceptions.startedAt, before),
          until === undefined ? undefined : lte(interceptions.startedAt, until),
        ),
      );
  let total: SQL;
  if (lo && hi && lo >= hi) {
    total = sql`(${exact(c.startedAfter, undefined, c.startedBefore)})`;
  } else {
    const whole = db
      .select({ n: sql`coalesce(sum(${rollup.interceptions}), 0)` })
      .from(rollup)
      .where(
        and(
          restricted,
          c.initiatorId === undefined
            ? undefined
            : eq(initiatorInterceptionCounts.initiatorId, c.initiatorId),
          c.provider === undefined ? undefined : eq(rollup.provider, c.provider),
          c.model === undefined ? undefined : eq(rollup.model, c.model),
          c.client === undefined ? undefined : eq(rollup.client, c.client),
          lo ? gte(rollup.bucket, lo) : undefined,
          hi ? lt(rollup.bucket, hi) : undefined,
        ),
      );
    const head = lo && c.startedAfter! < lo ? sql` + (${exact(c.startedAfter, lo, undefined)})` : sql``;
    const tail = hi ? sql` + (${exact(hi, undefined, c.startedBefore)})` : sql``;
    total = sql`(${whole})${head}${tail}`;
  }
  const [row] = resultRows<{ n: string | number }>(await db.execute(sql`SELECT ${total} AS n`));
  return Number(row?.n ?? 0);
}

const cursorRow = alias(interceptions, "cursor_row");

/**
 * Keyset condition: rows sorting after the cursor. The cursor's key is read in SQL so the
 * microsecond `started_at` never round-trips through a millisecond JS Date.
 */
function afterCursor(db: Db, afterId: string): SQL {
  const key = db
    .select({ startedAt: cursorRow.startedAt, id: cursorRow.id })
    .from(cursorRow)
    .where(eq(cursorRow.id, afterId));
  return sql`(${interceptions.startedAt}, ${interceptions.id}) < ${key}`;
}

async function cursorIsListable(db: Db, reader: Reader, afterId: string): Promise<boolean> {
  const rows = await db
    .select({ id: interceptions.id })
    .from(interceptions)
    .where(and(eq(interceptions.id, afterId), listable(reader)))
    .limit(1);
  return rows.length > 0;
}

/**
 * `column = ANY(ids)` with the ids as one array parameter: `IN (…)` sends one parameter per id,
 * which the server parses and plans one by one (a 200-thread session detail reads ~1 000 ids).
 */
export function inUuids(column: PgColumn | SQL, ids: string[]): SQL {
  return sql`${column} = ANY(${`{${ids.join(",")}}`}::uuid[])`;
}

export function groupByInterception<T extends { interceptionId: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.interceptionId);
    if (group) group.push(row);
    else groups.set(row.interceptionId, [row]);
  }
  return groups;
}

/** One query per child table for the whole page, never one per interception. */
async function childrenOf(db: Db, ids: string[]) {
  if (ids.length === 0)
    return { tokens: new Map(), prompts: new Map(), tools: new Map(), thoughts: new Map() };
  const [tokens, prompts, tools, thoughts] = await Promise.all([
    db
      .select()
      .from(tokenUsages)
      .where(inUuids(tokenUsages.interceptionId, ids))
      .orderBy(asc(tokenUsages.createdAt), asc(tokenUsages.id)),
    db
      .select()
      .from(userPrompts)
      .where(inUuids(userPrompts.interceptionId, ids))
      .orderBy(asc(userPrompts.createdAt), asc(userPrompts.id)),
    db
      .select()
      .from(toolUsages)
      .where(inUuids(toolUsages.interceptionId, ids))
      .orderBy(asc(toolUsages.createdAt), asc(toolUsages.id)),
    db
      .select()
      .from(modelThoughts)
      .where(inUuids(modelThoughts.interceptionId, ids))
      .orderBy(asc(modelThoughts.createdAt), asc(modelThoughts.id)),
  ]);
  return {
    tokens: groupByInterception(tokens),
    prompts: groupByInterception(prompts),
    tools: groupByInterception(tools),
    thoughts: groupByInterception(thoughts),
  };
}

/**
 * A page of finished interceptions the reader may read, newest first, with their initiator and
 * children, and the total matching count (pagination ignored). Throws `UnknownCursorError`.
 */
export async function listInterceptions(
  db: Db,
  reader: Reader,
  conditions: InterceptionConditions,
  page: InterceptionPage,
): Promise<{ count: number; results: InterceptionWithChildren[] }> {
  const matching = readableMatching(reader, conditions);
  const finished = and(isNotNull(interceptions.endedAt), matching);
  const [cursorOk, rows, total] = await Promise.all([
    page.afterId === null ? true : cursorIsListable(db, reader, page.afterId),
    db
      .select({
        id: interceptions.id,
        apiKeyId: interceptions.apiKeyId,
        initiator: { id: users.id, username: users.username, name: users.name, avatarUrl: users.avatarUrl },
        provider: interceptions.provider,
        model: interceptions.model,
        client: interceptions.client,
        clientSessionId: interceptions.clientSessionId,
        metadata: interceptions.metadata,
        credentialKind: interceptions.credentialKind,
        credentialHint: interceptions.credentialHint,
        startedAt: interceptions.startedAt,
        endedAt: interceptions.endedAt,
        threadParentId: interceptions.threadParentId,
        threadRootId: interceptions.threadRootId,
        sessionId: interceptions.sessionId,
        status: interceptions.status,
        errorType: interceptions.errorType,
        errorMessage: interceptions.errorMessage,
      })
      .from(interceptions)
      .innerJoin(users, eq(users.id, interceptions.initiatorId))
      .where(page.afterId === null ? finished : and(finished, afterCursor(db, page.afterId)))
      .orderBy(desc(interceptions.startedAt), desc(interceptions.id))
      .limit(page.limit)
      .offset(page.offset),
    countFinished(db, reader, conditions),
  ]);
  if (!cursorOk) throw new UnknownCursorError(`No AI Bridge interception "${page.afterId}" can be listed.`);

  const children = await childrenOf(
    db,
    rows.map((r) => r.id),
  );
  return {
    count: total,
    results: rows.map((r) => ({
      ...r,
      // Only finished rows are listed; the column type just does not know it.
      endedAt: r.endedAt!,
      tokenUsages: children.tokens.get(r.id) ?? [],
      userPrompts: children.prompts.get(r.id) ?? [],
      toolUsages: children.tools.get(r.id) ?? [],
      modelThoughts: children.thoughts.get(r.id) ?? [],
    })),
  };
}

const nextRow = alias(interceptions, "next_row");
const valueRow = alias(interceptions, "value_row");
const candidateValue = sql`candidates.value`;

/** A text column walked distinct value by distinct value: `model` and `client` (both byte-order indexed). */
export type DistinctColumn = "model" | "client";

/** Undoes the API's LIKE escaping (a backslash before `\\`, `%` and `_`): the literal prefix. */
function unescapeLikePattern(pattern: string): string {
  return pattern.replace(/\\(.)/gs, "$1");
}

/** The smallest value in `~<~` (byte) order that satisfies `where`: one read of the column's index. */
function firstValueWhere(
  db: Db,
  row: typeof interceptions | typeof nextRow,
  column: DistinctColumn,
  where: SQL,
) {
  return db
    .select({ value: row[column] })
    .from(row)
    .where(where)
    .orderBy(sql`${row[column]} using ~<~`)
    .limit(1);
}

/**
 * Whether the reader may see `value` of `column`: some finished interception they may read has it.
 * A member's own values come from their per-initiator rollup, which counts only finished rows;
 * looking through their rollup rows costs days × values, where their interceptions would cost one
 * read per row.
 */
function valueIsReadable(db: Db, reader: Reader, column: DistinctColumn, value: SQL): SQL {
  const r = initiatorInterceptionCounts;
  const restricted = readableBy(reader, r.initiatorId);
  if (restricted === undefined) {
    return exists(
      db
        .select({ one: sql`1` })
        .from(valueRow)
        .where(and(eq(valueRow[column], value), isNotNull(valueRow.endedAt))),
    );
  }
  return exists(
    db
      .select({ one: sql`1` })
      .from(r)
      .where(and(restricted, eq(r[column], value), gt(r.interceptions, 0))),
  );
}

/**
 * Distinct values of `column` the reader may see, in byte order. `likePrefix` is already
 * LIKE-escaped; `LIKE 'prefix%'` is case-sensitive.
 *
 * A skip scan over the column's `text_pattern_ops` index, whose `~<~` order is byte order: from the
 * prefix on, each step reads the one next distinct value, until a value no longer matches or the
 * page is complete; so the cost grows with the page (and the values the reader may not see on the
 * way), not with the rows or every distinct value after the prefix. The index bound is the literal
 * prefix, not derived from the LIKE pattern, so that a generic plan of the prepared statement
 * keeps it.
 */
export async function listDistinct(
  db: Db,
  reader: Reader,
  column: DistinctColumn,
  likePrefix: string | null,
  page: { limit: number; offset: number },
): Promise<string[]> {
  const pattern = `${likePrefix ?? ""}%`;
  const first = firstValueWhere(
    db,
    interceptions,
    column,
    sql`${interceptions[column]} ~>=~ ${unescapeLikePattern(likePrefix ?? "")}`,
  );
  const next = firstValueWhere(db, nextRow, column, sql`${nextRow[column]} ~>~ ${candidateValue}`);
  const readable = valueIsReadable(db, reader, column, candidateValue);
  // `seen`: how many values before this one the reader may see. The walk stops once the page's
  // last one is behind it, so a page costs its offset and size (and the values the reader may not
  // see on the way), not every distinct value after the prefix.
  const rows = resultRows<{ value: string }>(
    await db.execute(sql`
      with recursive candidates(value, seen) as (
        select (${first}), 0
        union all
        select ${next}, candidates.seen + (${readable})::int from candidates
        where ${candidateValue} like ${pattern} and candidates.seen < ${page.offset + page.limit}
      )
      select value from candidates
      where ${candidateValue} like ${pattern} and ${readable}
      order by value collate "C"
      limit ${page.limit} offset ${page.offset}`),
  );
  return rows.map((r) => r.value);
}

/** Distinct model names the reader may see, in byte order (SPEC §9). */
export function listModels(
  db: Db,
  reader: Reader,
  likePrefix: string | null,
  page: { limit: number; offset: number },
): Promise<string[]> {
  return listDistinct(db, reader, "model", likePrefix, page);
}
