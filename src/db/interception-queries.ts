import {
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  like,
  lte,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";

import type { Db } from "./engine";
import { interceptions, type Role, tokenUsages, toolUsages, userPrompts, users } from "./schema";

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
  tokenUsages: TokenUsageRow[];
  userPrompts: UserPromptRow[];
  toolUsages: ToolUsageRow[];
}

/** `after_id` names no interception this reader can list. */
export class UnknownCursorError extends Error {}

/**
 * The authorization filter, the one place it is decided (SPEC §9): owners and auditors read every
 * interception, members only those they initiated. `undefined` means "no restriction".
 */
export function readableBy(reader: Reader): SQL | undefined {
  if (reader.role === "owner" || reader.role === "auditor") return undefined;
  return eq(interceptions.initiatorId, reader.userId);
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

/**
 * How many finished rows match, as count(matching) − count(matching and in flight): `ended_at` is in
 * no index but the small partial one of in-flight rows, so counting finished rows directly reads the
 * heap, while both halves here can usually be answered from indexes alone.
 */
function countFinished(db: Db, matching: SQL | undefined) {
  const inFlight = db
    .select({ n: count() })
    .from(interceptions)
    .where(and(matching, isNull(interceptions.endedAt)));
  return db
    .select({ n: sql<number>`count(*) - ${inFlight}`.mapWith(Number) })
    .from(interceptions)
    .where(matching);
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

function groupByInterception<T extends { interceptionId: string }>(rows: T[]): Map<string, T[]> {
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
  if (ids.length === 0) return { tokens: new Map(), prompts: new Map(), tools: new Map() };
  const [tokens, prompts, tools] = await Promise.all([
    db
      .select()
      .from(tokenUsages)
      .where(inArray(tokenUsages.interceptionId, ids))
      .orderBy(asc(tokenUsages.createdAt), asc(tokenUsages.id)),
    db
      .select()
      .from(userPrompts)
      .where(inArray(userPrompts.interceptionId, ids))
      .orderBy(asc(userPrompts.createdAt), asc(userPrompts.id)),
    db
      .select()
      .from(toolUsages)
      .where(inArray(toolUsages.interceptionId, ids))
      .orderBy(asc(toolUsages.createdAt), asc(toolUsages.id)),
  ]);
  return {
    tokens: groupByInterception(tokens),
    prompts: groupByInterception(prompts),
    tools: groupByInterception(tools),
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
  const [cursorOk, rows, totals] = await Promise.all([
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
      })
      .from(interceptions)
      .innerJoin(users, eq(users.id, interceptions.initiatorId))
      .where(page.afterId === null ? finished : and(finished, afterCursor(db, page.afterId)))
      .orderBy(desc(interceptions.startedAt), desc(interceptions.id))
      .limit(page.limit)
      .offset(page.offset),
    countFinished(db, matching),
  ]);
  if (!cursorOk) throw new UnknownCursorError(`No AI Bridge interception "${page.afterId}" can be listed.`);

  const children = await childrenOf(
    db,
    rows.map((r) => r.id),
  );
  return {
    count: totals[0]?.n ?? 0,
    results: rows.map((r) => ({
      ...r,
      // Only finished rows are listed; the column type just does not know it.
      endedAt: r.endedAt!,
      tokenUsages: children.tokens.get(r.id) ?? [],
      userPrompts: children.prompts.get(r.id) ?? [],
      toolUsages: children.tools.get(r.id) ?? [],
    })),
  };
}

/**
 * Distinct model names the reader may see, in byte order. `likePrefix` is already LIKE-escaped;
 * `LIKE 'prefix%'` is case-sensitive and served by the model `text_pattern_ops` index.
 */
export async function listModels(
  db: Db,
  reader: Reader,
  likePrefix: string | null,
  page: { limit: number; offset: number },
): Promise<string[]> {
  const rows = await db
    .select({ model: interceptions.model })
    .from(interceptions)
    .where(
      and(listable(reader), likePrefix === null ? undefined : like(interceptions.model, `${likePrefix}%`)),
    )
    .groupBy(interceptions.model)
    .orderBy(sql`${interceptions.model} collate "C"`)
    .limit(page.limit)
    .offset(page.offset);
  return rows.map((r) => r.model);
}
