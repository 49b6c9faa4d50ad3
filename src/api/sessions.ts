import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import type { Db } from "../db/engine";
import { listDistinct } from "../db/interception-queries";
import {
  type AgenticAction,
  getSession,
  listSessions,
  type SessionRow,
  type ThreadRow,
  type TokenTotals,
  UnknownSessionCursorError,
  UnknownThreadCursorError,
} from "../db/session-queries";
import { isUuid } from "../db/uuid";
import { authenticateCaller } from "./caller";
import { ApiError, authErrors, ErrorSchema } from "./errors";
import {
  conditionsFor,
  ErrorTypeSchema,
  limitParam,
  MinimalUserSchema,
  offsetParam,
  page,
  Timestamp,
  Uuid,
} from "./interceptions";
import { rejectNul } from "./reject-nul";
import { escapeLikePattern, parseClientsQuery, parseSessionQuery } from "./search-query";

export interface SessionsApiDeps {
  db: Db;
  identities: IdentityResolver;
}

const INVALID_SESSIONS_QUERY = "Invalid AI Bridge sessions search query.";
const INVALID_CLIENTS_QUERY = "Invalid AI Bridge clients search query.";
const INVALID_PARAMETERS = "Query parameters have invalid values.";
const SESSION_NOT_FOUND = "Session not found.";
const DEFAULT_THREADS = 50;
const MAX_THREADS = 200;

const Integer = Type.Integer();
const NullableMicros = t.Union([Type.Integer(), t.Null()], {
  description: "Cost in micro-USD; null when nothing was priced.",
});

const TokenUsageSummarySchema = t.Object(
  {
    input_tokens: Integer,
    output_tokens: Integer,
    cache_read_input_tokens: Integer,
    cache_write_input_tokens: Integer,
  },
  { title: "AIBridgeTokenUsageSummary" },
);

const sessionFields = {
  id: t.String({ description: "The client's session id, else the first thread's root interception id." }),
  initiator: MinimalUserSchema,
  providers: t.Array(t.String(), { description: "Distinct, in byte order." }),
  models: t.Array(t.String(), { description: "Distinct, in byte order." }),
  client: t.String({ description: "The first interception's client." }),
  metadata: t.Record(t.String(), t.Unknown(), { description: "The first interception's metadata." }),
  started_at: Timestamp,
  ended_at: Timestamp,
  last_active_at: Timestamp,
  token_usage_summary: TokenUsageSummarySchema,
  cost_micros: NullableMicros,
  last_prompt: t.Union([t.String(), t.Null()], { description: "The newest prompt." }),
};

const SessionSchema = t.Object(
  {
    ...sessionFields,
    threads: Type.Integer({ description: "Distinct threads (a prompt and its agentic loop)." }),
  },
  { title: "AIBridgeSession" },
);

const SessionListSchema = t.Object(
  {
    count: Type.Integer({ description: "Total matching sessions, ignoring pagination." }),
    sessions: t.Array(SessionSchema),
  },
  { title: "AIBridgeSessionList" },
);

const AgenticActionSchema = t.Object(
  {
    interception_id: Uuid,
    model: t.String(),
    status: t.Union([Type.Integer(), t.Null()]),
    error_type: t.Union([ErrorTypeSchema, t.Null()]),
    token_usage: TokenUsageSummarySchema,
    cost_micros: NullableMicros,
    thinking: t.Array(t.Object({ text: t.String() })),
    tool_calls: t.Array(
      t.Object({
        id: Uuid,
        tool: t.String(),
        input: t.String({ description: "JSON text of the arguments." }),
        created_at: Timestamp,
      }),
    ),
  },
  { title: "AIBridgeAgenticAction" },
);

const ThreadSchema = t.Object(
  {
    id: t.String({ format: "uuid", description: "The thread's root interception." }),
    prompt: t.Union([t.String(), t.Null()]),
    model: t.String(),
    provider: t.String(),
    credential_kind: t.Union([t.Literal("centralized"), t.Literal("byok")]),
    credential_hint: t.String(),
    started_at: Timestamp,
    ended_at: Timestamp,
    token_usage: TokenUsageSummarySchema,
    cost_micros: NullableMicros,
    agentic_actions: t.Array(AgenticActionSchema, { description: "One per interception, in order." }),
  },
  { title: "AIBridgeThread" },
);

const SessionDetailSchema = t.Object(
  { ...sessionFields, threads: t.Array(ThreadSchema, { description: "A page of threads, oldest first." }) },
  { title: "AIBridgeSessionThreads" },
);

const SessionsQuery = t.Object({
  q: t.Optional(
    t.String({
      description:
        "Space-separated `key:value` terms; keys `initiator` (uuid, username or `me`), `provider`, `model`, `client`, `session_id`, `started_after`, `started_before` (RFC 3339, inclusive, on the session's start). A session matches `provider`/`model` when any of its interceptions does. Bare terms are not allowed.",
      examples: ["initiator:me model:claude-sonnet-4-5"],
    }),
  ),
  limit: limitParam,
  offset: offsetParam,
  after_session_id: t.Optional(
    t.String({
      description: "Cursor: a session id; sessions strictly after it. Not with a non-zero offset.",
    }),
  ),
});

const SessionQuery = t.Object({
  limit: t.Optional(
    t.String({ description: "Threads per page: 1..200; absent or 0 means 50.", examples: ["50"] }),
  ),
  after_id: t.Optional(t.String({ description: "A thread id: the threads after it. Not with before_id." })),
  before_id: t.Optional(
    t.String({ description: "A thread id: the threads just before it. Not with after_id." }),
  ),
});

const ClientsQuery = t.Object({
  q: t.Optional(
    t.String({
      description:
        "A bare term or `client:<prefix>`: case-sensitive prefix match; `%`, `_` and `\\` are literal.",
      examples: ["Claude"],
    }),
  ),
  limit: limitParam,
  offset: offsetParam,
});

function totals(tokens: TokenTotals) {
  return {
    input_tokens: tokens.inputTokens,
    output_tokens: tokens.outputTokens,
    cache_read_input_tokens: tokens.cacheReadInputTokens,
    cache_write_input_tokens: tokens.cacheWriteInputTokens,
  };
}

function sessionBody(s: SessionRow) {
  return {
    id: s.id,
    initiator: {
      id: s.initiator.id,
      username: s.initiator.username,
      name: s.initiator.name,
      avatar_url: s.initiator.avatarUrl,
    },
    providers: s.providers,
    models: s.models,
    client: s.client,
    metadata: s.metadata,
    started_at: s.startedAt.toISOString(),
    ended_at: s.endedAt.toISOString(),
    last_active_at: s.lastActiveAt.toISOString(),
    token_usage_summary: totals(s.tokens),
    cost_micros: s.costMicros,
    last_prompt: s.lastPrompt,
  };
}

function actionJson(a: AgenticAction) {
  return {
    interception_id: a.interceptionId,
    model: a.model,
    status: a.status,
    error_type: a.errorType as (typeof ErrorTypeSchema)["static"] | null,
    token_usage: totals(a.tokens),
    cost_micros: a.costMicros,
    thinking: a.thinking,
    tool_calls: a.toolCalls.map((c) => ({
      id: c.id,
      tool: c.tool,
      input: c.input,
      created_at: c.createdAt.toISOString(),
    })),
  };
}

function threadJson(th: ThreadRow) {
  return {
    id: th.id,
    prompt: th.prompt,
    model: th.model,
    provider: th.provider,
    credential_kind: th.credentialKind,
    credential_hint: th.credentialHint,
    started_at: th.startedAt.toISOString(),
    ended_at: th.endedAt.toISOString(),
    token_usage: totals(th.tokens),
    cost_micros: th.costMicros,
    agentic_actions: th.actions.map(actionJson),
  };
}

/** Text a client chose (session ids): PostgreSQL text cannot hold NUL. */
function requireStorable(field: string, value: string): void {
  if (value.includes("\u0000")) {
    throw new ApiError(400, INVALID_PARAMETERS, undefined, [
      { field, detail: `${field} must not contain NUL characters.` },
    ]);
  }
}

/** The detail's `limit`, `after_id` and `before_id` (SPEC §14). */
function threadPage(query: { limit?: string; after_id?: string; before_id?: string }) {
  const validations: { field: string; detail: string }[] = [];
  let limit = DEFAULT_THREADS;
  if (query.limit !== undefined && query.limit !== "") {
    const n = /^[0-9]+$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (n >= 1 && n <= MAX_THREADS) limit = n;
    else if (n !== 0) {
      validations.push({
        field: "limit",
        detail: `limit must be an integer from 1 to ${MAX_THREADS} (0 or absent means ${DEFAULT_THREADS}); got "${query.limit}".`,
      });
    }
  }
  const cursor = (field: "after_id" | "before_id") => {
    const value = query[field];
    if (value === undefined || value === "") return null;
    if (isUuid(value)) return value.toLowerCase();
    validations.push({ field, detail: `${field} must be a thread id (UUID); got "${value}".` });
    return null;
  };
  const after = cursor("after_id");
  const before = cursor("before_id");
  const both = after !== null && before !== null;
  if (both || validations.length > 0) {
    throw new ApiError(
      400,
      INVALID_PARAMETERS,
      both ? "Cannot use both after_id and before_id in the same request." : undefined,
      validations.length > 0 ? validations : undefined,
    );
  }
  return { limit, after, before };
}

/** `/api/v2/aibridge/sessions`, `/sessions/{session_id}` and `/clients` (SPEC §14). */
export function sessionsApi({ db, identities }: SessionsApiDeps) {
  return new Elysia({ prefix: "/api/v2/aibridge", tags: ["AI Bridge"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get(
      "/sessions",
      async ({ caller, query }) => {
        const parsed = parseSessionQuery(query.q);
        if (!parsed.ok) throw new ApiError(400, INVALID_SESSIONS_QUERY, undefined, parsed.validations);
        const { limit, offset } = page({ limit: query.limit, offset: query.offset }, false);
        const afterSessionId = query.after_session_id || null;
        if (afterSessionId !== null) {
          requireStorable("after_session_id", afterSessionId);
          if (offset !== 0) {
            throw new ApiError(
              400,
              INVALID_PARAMETERS,
              "Cannot use both after_session_id and offset pagination in the same request.",
            );
          }
        }
        if (parsed.filter.sessionId !== undefined) requireStorable("q", parsed.filter.sessionId);
        const conditions = await conditionsFor(db, caller, parsed.filter, INVALID_SESSIONS_QUERY);
        try {
          const found = await listSessions(db, caller, conditions, { limit, offset, afterSessionId });
          return {
            count: found.count,
            sessions: found.sessions.map((s) => ({ ...sessionBody(s), threads: s.threads })),
          };
        } catch (error) {
          if (!(error instanceof UnknownSessionCursorError)) throw error;
          throw new ApiError(400, INVALID_PARAMETERS, undefined, [
            { field: "after_session_id", detail: `session "${afterSessionId}" not found` },
          ]);
        }
      },
      {
        query: SessionsQuery,
        response: { 200: SessionListSchema, ...authErrors },
        detail: {
          summary: "List AI Bridge sessions",
          description:
            "Finished interceptions grouped by (session id, initiator), newest session first (`started_at DESC`). A session id is the client's (Claude Code, Codex…), else its first thread's root interception. Owners and auditors see all; members see their own.",
          operationId: "listAIBridgeSessions",
        },
      },
    )
    .get(
      "/sessions/:session_id",
      async ({ caller, params, query }) => {
        requireStorable("session_id", params.session_id);
        const pageOf = threadPage(query);
        try {
          const found = await getSession(db, caller, params.session_id, pageOf);
          if (!found) throw new ApiError(404, SESSION_NOT_FOUND);
          return { ...sessionBody(found.session), threads: found.threads.map(threadJson) };
        } catch (error) {
          if (!(error instanceof UnknownThreadCursorError)) throw error;
          const field = pageOf.after !== null ? "after_id" : "before_id";
          throw new ApiError(400, INVALID_PARAMETERS, undefined, [
            { field, detail: `thread "${error.message}" is not a thread of this session` },
          ]);
        }
      },
      {
        params: t.Object({ session_id: t.String({ description: "A session id, as listed." }) }),
        query: SessionQuery,
        response: { 200: SessionDetailSchema, 404: ErrorSchema, ...authErrors },
        detail: {
          summary: "Get an AI Bridge session with its threads",
          description:
            "The session and a page of its threads (a prompt and the agentic loop that follows it), oldest first; each thread lists one agentic action per interception with its thinking and tool calls.",
          operationId: "getAIBridgeSession",
        },
      },
    )
    .get(
      "/clients",
      async ({ caller, query }) => {
        const parsed = parseClientsQuery(query.q);
        if (!parsed.ok) throw new ApiError(400, INVALID_CLIENTS_QUERY, undefined, parsed.validations);
        const { limit, offset } = page(query, false);
        const likePrefix = parsed.prefix === null ? null : escapeLikePattern(parsed.prefix);
        return listDistinct(db, caller, "client", likePrefix, { limit, offset });
      },
      {
        query: ClientsQuery,
        response: { 200: t.Array(t.String(), { title: "AIBridgeClients" }), ...authErrors },
        detail: {
          summary: "List AI Bridge clients",
          description: "Distinct clients of the interceptions the caller may read, in byte order.",
          operationId: "listAIBridgeClients",
        },
      },
    );
}
