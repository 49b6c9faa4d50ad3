import { and, asc, count, desc, eq, gte, isNotNull, lte, type SQL, sql } from "drizzle-orm";

import type { Db } from "./engine";
import { groupByInterception, inUuids, type Reader, readableBy } from "./interception-queries";
import { resultRows } from "./migrate";
import {
  interceptions,
  modelThoughts,
  sessions,
  tokenUsages,
  toolUsages,
  userPrompts,
  users,
} from "./schema";

/** The sessions list's filters, the initiator already resolved to a user id (SPEC §14). */
export interface SessionConditions {
  initiatorId?: string;
  /** Sessions that used this provider / model at least once. */
  provider?: string;
  model?: string;
  /** The session's client: its first interception's. */
  client?: string;
  sessionId?: string;
  /** Inclusive bounds on the session's start. */
  startedAfter?: Date;
  startedBefore?: Date;
}

export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

export interface SessionRow {
  id: string;
  initiator: { id: string; username: string; name: string; avatarUrl: string };
  providers: string[];
  models: string[];
  client: string;
  metadata: Record<string, unknown>;
  startedAt: Date;
  endedAt: Date;
  lastActiveAt: Date;
  threads: number;
  tokens: TokenTotals;
  /** Null when nothing was priced. */
  costMicros: number | null;
  lastPrompt: string | null;
}

/** `after_session_id` names no session this reader can list. */
export class UnknownSessionCursorError extends Error {}

/** A thread id (`after_id` / `before_id`) that is not a thread of the session. */
export class UnknownThreadCursorError extends Error {}

function conditionsSql(reader: Reader, c: SessionConditions): SQL | undefined {
  return and(
    readableBy(reader, sessions.initiatorId),
    c.initiatorId === undefined ? undefined : eq(sessions.initiatorId, c.initiatorId),
    c.provider === undefined ? undefined : sql`${sessions.providers} @> ARRAY[${c.provider}]::text[]`,
    c.model === undefined ? undefined : sql`${sessions.models} @> ARRAY[${c.model}]::text[]`,
    c.client === undefined ? undefined : eq(sessions.client, c.client),
    c.sessionId === undefined ? undefined : eq(sessions.sessionId, c.sessionId),
    c.startedAfter === undefined ? undefined : gte(sessions.startedAt, c.startedAfter),
    c.startedBefore === undefined ? undefined : lte(sessions.startedAt, c.startedBefore),
  );
}

const sessionColumns = {
  id: sessions.sessionId,
  initiator: { id: users.id, username: users.username, name: users.name, avatarUrl: users.avatarUrl },
  providers: sessions.providers,
  models: sessions.models,
  client: sessions.client,
  metadata: sessions.metadata,
  startedAt: sessions.startedAt,
  endedAt: sessions.endedAt,
  lastActiveAt: sessions.lastActiveAt,
  threads: sessions.threads,
  inputTokens: sessions.inputTokens,
  outputTokens: sessions.outputTokens,
  cacheReadInputTokens: sessions.cacheReadInputTokens,
  cacheWriteInputTokens: sessions.cacheWriteInputTokens,
  costMicros: sessions.costMicros,
  lastPrompt: sessions.lastPrompt,
};

type SessionSelect = {
  [K in keyof typeof sessionColumns]: K extends "initiator"
    ? SessionRow["initiator"]
    : (typeof sessionColumns)[K] extends { _: { data: infer D } }
      ? D
      : never;
};

function toSessionRow(r: SessionSelect): SessionRow {
  return {
    id: r.id,
    initiator: r.initiator,
    providers: r.providers,
    models: r.models,
    client: r.client,
    metadata: r.metadata,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    lastActiveAt: r.lastActiveAt,
    threads: Number(r.threads),
    tokens: {
      inputTokens: Number(r.inputTokens),
      outputTokens: Number(r.outputTokens),
      cacheReadInputTokens: Number(r.cacheReadInputTokens),
      cacheWriteInputTokens: Number(r.cacheWriteInputTokens),
    },
    costMicros: r.costMicros === null ? null : Number(r.costMicros),
    lastPrompt: r.lastPrompt,
  };
}

/**
 * The cursor's sort key, read in SQL so that microsecond times never round-trip through a JS Date.
 * A session id two initiators share (clients choose them) names the one sorting first.
 */
function cursorKey(db: Db, reader: Reader, sessionId: string) {
  return db
    .select({
      startedAt: sessions.startedAt,
      sessionId: sessions.sessionId,
      initiatorId: sessions.initiatorId,
    })
    .from(sessions)
    .where(and(eq(sessions.sessionId, sessionId), readableBy(reader, sessions.initiatorId)))
    .orderBy(desc(sessions.startedAt), desc(sessions.sessionId), desc(sessions.initiatorId))
    .limit(1);
}

/**
 * A page of sessions the reader may read, newest first (`started_at DESC`, then the session id),
 * with the total matching count; both from the session rollup (drizzle/0010), filtered in SQL.
 * Throws `UnknownSessionCursorError`.
 */
export async function listSessions(
  db: Db,
  reader: Reader,
  conditions: SessionConditions,
  page: { limit: number; offset: number; afterSessionId: string | null },
): Promise<{ count: number; sessions: SessionRow[] }> {
  const where = conditionsSql(reader, conditions);
  const cursor = page.afterSessionId;
  const [cursorRows, rows, [total]] = await Promise.all([
    cursor === null ? [] : cursorKey(db, reader, cursor),
    db
      .select(sessionColumns)
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.initiatorId))
      .where(
        cursor === null
          ? where
          : and(
              where,
              sql`(${sessions.startedAt}, ${sessions.sessionId}, ${sessions.initiatorId}) < (${cursorKey(db, reader, cursor)})`,
            ),
      )
      .orderBy(desc(sessions.startedAt), desc(sessions.sessionId), desc(sessions.initiatorId))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(sessions).where(where),
  ]);
  if (cursor !== null && cursorRows.length === 0) throw new UnknownSessionCursorError(cursor);
  return { count: Number(total?.n ?? 0), sessions: rows.map((r) => toSessionRow(r as SessionSelect)) };
}

export interface AgenticAction {
  interceptionId: string;
  model: string;
  status: number | null;
  errorType: string | null;
  tokens: TokenTotals;
  costMicros: number | null;
  thinking: { text: string }[];
  toolCalls: { id: string; tool: string; input: string; createdAt: Date }[];
}

export interface ThreadRow {
  id: string;
  prompt: string | null;
  model: string;
  provider: string;
  credentialKind: "centralized" | "byok";
  credentialHint: string;
  startedAt: Date;
  endedAt: Date;
  tokens: TokenTotals;
  costMicros: number | null;
  actions: AgenticAction[];
}

const threadId = sql<string>`coalesce(${interceptions.threadRootId}, ${interceptions.id})`;

/**
 * One session (SPEC §14 detail) with a page of its threads, oldest first. `after`/`before` are
 * thread ids; `before` gives the `limit` threads just before it. Null when the reader cannot read
 * such a session. Throws `UnknownThreadCursorError`.
 */
export async function getSession(
  db: Db,
  reader: Reader,
  sessionId: string,
  page: { limit: number; after: string | null; before: string | null },
): Promise<{ session: SessionRow; threads: ThreadRow[] } | null> {
  // A session id two initiators share: the one active last.
  const [found] = await db
    .select(sessionColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.initiatorId))
    .where(and(eq(sessions.sessionId, sessionId), readableBy(reader, sessions.initiatorId)))
    .orderBy(desc(sessions.lastActiveAt), desc(sessions.initiatorId))
    .limit(1);
  if (!found) return null;
  const initiatorId = found.initiator.id;
  const inSession = and(
    eq(interceptions.sessionId, sessionId),
    eq(interceptions.initiatorId, initiatorId),
    isNotNull(interceptions.endedAt),
  );

  // Threads: the session's interceptions grouped by root, ordered by their first start.
  const cursorId = page.after ?? page.before;
  let cursorStart: string | null = null;
  if (cursorId !== null) {
    const [row] = resultRows<{ started: string | null }>(
      await db.execute(
        sql`select min(${interceptions.startedAt})::text as started from ${interceptions} where ${inSession} and ${threadId} = ${cursorId}::uuid`,
      ),
    );
    if (!row?.started) throw new UnknownThreadCursorError(cursorId);
    cursorStart = row.started;
  }
  const firstStart = sql`min(${interceptions.startedAt})`;
  const keyed = sql`(${firstStart}, ${threadId})`;
  const having =
    cursorStart === null
      ? undefined
      : page.after !== null
        ? sql`${keyed} > (${cursorStart}::timestamptz, ${cursorId}::uuid)`
        : sql`${keyed} < (${cursorStart}::timestamptz, ${cursorId}::uuid)`;
  const backwards = page.before !== null;
  const pageRows = await db
    .select({ id: threadId })
    .from(interceptions)
    .where(inSession)
    .groupBy(threadId)
    .having(having)
    .orderBy(...(backwards ? [desc(firstStart), desc(threadId)] : [asc(firstStart), asc(threadId)]))
    .limit(page.limit);
  const threadIds = pageRows.map((r) => r.id);
  if (backwards) threadIds.reverse();

  const session = toSessionRow(found as SessionSelect);
  if (threadIds.length === 0) return { session, threads: [] };

  const members = await db
    .select({
      id: interceptions.id,
      threadId,
      model: interceptions.model,
      provider: interceptions.provider,
      credentialKind: interceptions.credentialKind,
      credentialHint: interceptions.credentialHint,
      startedAt: interceptions.startedAt,
      endedAt: interceptions.endedAt,
      status: interceptions.status,
      errorType: interceptions.errorType,
    })
    .from(interceptions)
    .where(and(inSession, inUuids(threadId, threadIds)))
    .orderBy(asc(interceptions.startedAt), asc(interceptions.id));
  const ids = members.map((m) => m.id);
  const [tokens, prompts, tools, thoughts] = await Promise.all([
    db
      .select({
        interceptionId: tokenUsages.interceptionId,
        inputTokens: tokenUsages.inputTokens,
        outputTokens: tokenUsages.outputTokens,
        cacheReadInputTokens: tokenUsages.cacheReadInputTokens,
        cacheWriteInputTokens: tokenUsages.cacheWriteInputTokens,
        costMicros: tokenUsages.costMicros,
      })
      .from(tokenUsages)
      .where(inUuids(tokenUsages.interceptionId, ids)),
    db
      .select({ interceptionId: userPrompts.interceptionId, prompt: userPrompts.prompt })
      .from(userPrompts)
      .where(inUuids(userPrompts.interceptionId, ids))
      .orderBy(asc(userPrompts.createdAt), asc(userPrompts.id)),
    db
      .select({
        interceptionId: toolUsages.interceptionId,
        id: toolUsages.id,
        tool: toolUsages.tool,
        input: toolUsages.input,
        createdAt: toolUsages.createdAt,
      })
      .from(toolUsages)
      .where(inUuids(toolUsages.interceptionId, ids))
      .orderBy(asc(toolUsages.createdAt), asc(toolUsages.id)),
    db
      .select({ interceptionId: modelThoughts.interceptionId, content: modelThoughts.content })
      .from(modelThoughts)
      .where(inUuids(modelThoughts.interceptionId, ids))
      .orderBy(asc(modelThoughts.createdAt), asc(modelThoughts.id)),
  ]);

  const tokensOf = new Map<string, TokenTotals>();
  // Null while none of an interception's usages was priced (SPEC §15).
  const costOf = new Map<string, number>();
  for (const t of tokens) {
    if (t.costMicros !== null)
      costOf.set(t.interceptionId, (costOf.get(t.interceptionId) ?? 0) + Number(t.costMicros));
    const sum = tokensOf.get(t.interceptionId) ?? zeroTokens();
    addTokens(sum, {
      inputTokens: t.inputTokens ?? 0,
      outputTokens: t.outputTokens ?? 0,
      cacheReadInputTokens: t.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: t.cacheWriteInputTokens ?? 0,
    });
    tokensOf.set(t.interceptionId, sum);
  }
  const promptOf = new Map<string, string>();
  for (const p of prompts) promptOf.set(p.interceptionId, p.prompt);
  const toolsOf = groupByInterception(tools);
  const thoughtsOf = groupByInterception(thoughts);

  const byThread = new Map<string, ThreadRow>();
  for (const m of members) {
    const action: AgenticAction = {
      interceptionId: m.id,
      model: m.model,
      status: m.status,
      errorType: m.errorType,
      tokens: tokensOf.get(m.id) ?? zeroTokens(),
      costMicros: costOf.get(m.id) ?? null,
      thinking: (thoughtsOf.get(m.id) ?? []).map((t) => ({ text: t.content })),
      toolCalls: (toolsOf.get(m.id) ?? []).map((t) => ({
        id: t.id,
        tool: t.tool,
        input: t.input,
        createdAt: t.createdAt,
      })),
    };
    let thread = byThread.get(m.threadId);
    if (!thread) {
      // The thread's first interception (its root, unless the root lies in another session).
      thread = {
        id: m.threadId,
        prompt: promptOf.get(m.id) ?? null,
        model: m.model,
        provider: m.provider,
        credentialKind: m.credentialKind,
        credentialHint: m.credentialHint,
        startedAt: m.startedAt,
        endedAt: m.endedAt!,
        tokens: zeroTokens(),
        costMicros: null,
        actions: [],
      };
      byThread.set(m.threadId, thread);
    }
    if (m.endedAt! > thread.endedAt) thread.endedAt = m.endedAt!;
    addTokens(thread.tokens, action.tokens);
    if (action.costMicros !== null) thread.costMicros = (thread.costMicros ?? 0) + action.costMicros;
    thread.actions.push(action);
  }
  return { session, threads: threadIds.map((id) => byThread.get(id)!).filter(Boolean) };
}

function zeroTokens(): TokenTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
}

function addTokens(into: TokenTotals, add: TokenTotals): void {
  into.inputTokens += Number(add.inputTokens);
  into.outputTokens += Number(add.outputTokens);
  into.cacheReadInputTokens += Number(add.cacheReadInputTokens);
  into.cacheWriteInputTokens += Number(add.cacheWriteInputTokens);
}
