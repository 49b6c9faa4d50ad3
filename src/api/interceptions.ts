import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import type { Db } from "../db/engine";
import {
  type InterceptionConditions,
  type InterceptionWithChildren,
  listInterceptions,
  listModels,
  UnknownCursorError,
} from "../db/interception-queries";
import { type ErrorType, errorTypes } from "../db/schema";
import { findUser } from "../db/users";
import { authenticateCaller, type Caller } from "./caller";
import { ApiError, authErrors } from "./errors";
import { parsePagination } from "./pagination";
import { rejectNul } from "./reject-nul";
import {
  escapeLikePattern,
  type InterceptionFilter,
  parseInterceptionQuery,
  parseModelsQuery,
} from "./search-query";

export interface AibridgeApiDeps {
  db: Db;
  identities: IdentityResolver;
}

const INVALID_INTERCEPTIONS_QUERY = "Invalid AI Bridge interceptions search query.";
const INVALID_MODELS_QUERY = "Invalid AI Bridge models search query.";
const INVALID_PARAMETERS = "Query parameters have invalid values.";

// Every parameter is a plain optional string so that bad values reach our parsers and get the
// SPEC's 400 bodies instead of a generic schema-validation error.
export const limitParam = t.Optional(
  t.String({ description: "Page size: 1..1000; absent or 0 means 100.", examples: ["100"] }),
);
export const offsetParam = t.Optional(t.String({ description: "Rows to skip (≥ 0).", examples: ["0"] }));

const InterceptionsQuery = t.Object({
  q: t.Optional(
    t.String({
      description:
        "Space-separated `key:value` terms; keys `initiator` (uuid, username or `me`), `provider`, `model`, `client`, `started_after`, `started_before` (RFC 3339, inclusive). A bare term means `initiator`. Values may be double-quoted.",
      examples: ["initiator:me provider:anthropic started_after:2025-01-02T15:04:05Z"],
    }),
  ),
  limit: limitParam,
  offset: offsetParam,
  after_id: t.Optional(
    t.String({
      description:
        "Cursor: an interception id (uuid); rows strictly after it in the sort order. Not with a non-zero offset.",
    }),
  ),
});

const ModelsQuery = t.Object({
  q: t.Optional(
    t.String({
      description:
        "A bare term or `model:<prefix>`: case-sensitive prefix match; `%`, `_` and `\\` are literal.",
      examples: ["claude-"],
    }),
  ),
  limit: limitParam,
  offset: offsetParam,
});

export const Uuid = t.String({ format: "uuid" });
export const Timestamp = t.String({ format: "date-time" });
// Elysia's t.Integer also accepts numeric strings and documents itself that way; responses are plain integers.
const NullableTokens = t.Union([Type.Integer(), t.Null()]);
export const MinimalUserSchema = t.Object(
  { id: Uuid, username: t.String(), name: t.String(), avatar_url: t.String() },
  { title: "MinimalUser" },
);
export const ErrorTypeSchema = t.UnionEnum([...errorTypes], {
  description: "Why the interception did not succeed; null on success.",
});

const TokenUsageSchema = t.Object(
  {
    id: Uuid,
    interception_id: Uuid,
    provider_response_id: t.String(),
    input_tokens: NullableTokens,
    output_tokens: NullableTokens,
    cache_read_input_tokens: NullableTokens,
    cache_write_input_tokens: NullableTokens,
    metadata: t.Record(t.String(), t.Number(), {
      description: "Extra token types, e.g. completion_reasoning.",
    }),
    created_at: Timestamp,
    cost_micros: t.Union([Type.Integer(), t.Null()], { description: "Micro-USD; null when unpriced." }),
    priced_model: t.Union([t.String(), t.Null()], { description: "The price row that priced it." }),
    prices: t.Union([t.Record(t.String(), t.Union([t.Number(), t.Null()])), t.Null()], {
      description: "The prices it was priced with (micro-USD per MTok).",
    }),
  },
  { title: "AIBridgeTokenUsage" },
);

const UserPromptSchema = t.Object(
  {
    id: Uuid,
    interception_id: Uuid,
    provider_response_id: t.String(),
    prompt: t.String(),
    metadata: t.Record(t.String(), t.Unknown()),
    created_at: Timestamp,
  },
  { title: "AIBridgeUserPrompt" },
);

const ToolUsageSchema = t.Object(
  {
    id: Uuid,
    interception_id: Uuid,
    provider_response_id: t.String(),
    provider_tool_call_id: t.String(),
    server_url: t.Union([t.String(), t.Null()]),
    tool: t.String(),
    input: t.String({ description: "JSON text of the tool arguments." }),
    injected: t.Boolean(),
    invocation_error: t.Union([t.String(), t.Null()]),
    metadata: t.Record(t.String(), t.Unknown()),
    created_at: Timestamp,
  },
  { title: "AIBridgeToolUsage" },
);

const ModelThoughtSchema = t.Object(
  {
    id: Uuid,
    interception_id: Uuid,
    content: t.String({ description: "Thinking text, a reasoning summary, or commentary." }),
    metadata: t.Record(t.String(), t.Unknown(), {
      description: '`{"source": "thinking" | "reasoning_summary" | "commentary"}`',
    }),
    created_at: Timestamp,
  },
  { title: "AIBridgeModelThought" },
);

const InterceptionSchema = t.Object(
  {
    id: Uuid,
    api_key_id: t.String(),
    initiator: MinimalUserSchema,
    provider: t.String(),
    model: t.String(),
    client: t.String(),
    client_session_id: t.Union([t.String(), t.Null()]),
    metadata: t.Record(t.String(), t.Unknown()),
    credential_kind: t.Union([t.Literal("centralized"), t.Literal("byok")]),
    credential_hint: t.String(),
    started_at: Timestamp,
    ended_at: Timestamp,
    cost_micros: t.Union([Type.Integer(), t.Null()], {
      description: "Sum of its token usages' cost in micro-USD; null when none was priced.",
    }),
    thread_parent_id: t.Union([Uuid, t.Null()], {
      description: "The interception whose tool call this one answers.",
    }),
    thread_root_id: t.Union([Uuid, t.Null()], { description: "The first interception of its thread." }),
    session_id: t.String({
      description: "The client's session id, else the thread root's id, else its own id.",
    }),
    status: t.Union([Type.Integer(), t.Null()], { description: "The HTTP status relayed to the client." }),
    error_type: t.Union([ErrorTypeSchema, t.Null()]),
    error_message: t.Union([t.String(), t.Null()]),
    token_usages: t.Array(TokenUsageSchema),
    user_prompts: t.Array(UserPromptSchema),
    tool_usages: t.Array(ToolUsageSchema),
    model_thoughts: t.Array(ModelThoughtSchema),
  },
  { title: "AIBridgeInterception" },
);

const InterceptionListSchema = t.Object(
  {
    count: Type.Integer({ description: "Total matching interceptions, ignoring pagination." }),
    results: t.Array(InterceptionSchema),
  },
  { title: "AIBridgeInterceptionList" },
);

/** The sum of the rows' cost; null when none of them was priced (SPEC §15). */
function totalCost(rows: { costMicros: number | null }[]): number | null {
  let total: number | null = null;
  for (const row of rows) if (row.costMicros !== null) total = (total ?? 0) + row.costMicros;
  return total;
}

function interceptionJson(i: InterceptionWithChildren) {
  return {
    id: i.id,
    api_key_id: i.apiKeyId,
    initiator: {
      id: i.initiator.id,
      username: i.initiator.username,
      name: i.initiator.name,
      avatar_url: i.initiator.avatarUrl,
    },
    provider: i.provider,
    model: i.model,
    client: i.client,
    client_session_id: i.clientSessionId,
    metadata: i.metadata,
    credential_kind: i.credentialKind,
    credential_hint: i.credentialHint,
    started_at: i.startedAt.toISOString(),
    ended_at: i.endedAt.toISOString(),
    cost_micros: totalCost(i.tokenUsages),
    thread_parent_id: i.threadParentId,
    thread_root_id: i.threadRootId,
    session_id: i.sessionId ?? i.id,
    status: i.status,
    error_type: i.errorType as ErrorType | null,
    error_message: i.errorMessage,
    token_usages: i.tokenUsages.map((u) => ({
      id: u.id,
      interception_id: u.interceptionId,
      provider_response_id: u.providerResponseId,
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_input_tokens: u.cacheReadInputTokens,
      cache_write_input_tokens: u.cacheWriteInputTokens,
      metadata: u.metadata,
      created_at: u.createdAt.toISOString(),
      cost_micros: u.costMicros,
      priced_model: u.pricedModel,
      prices: (u.prices as Record<string, number | null> | null) ?? null,
    })),
    user_prompts: i.userPrompts.map((p) => ({
      id: p.id,
      interception_id: p.interceptionId,
      provider_response_id: p.providerResponseId,
      prompt: p.prompt,
      metadata: p.metadata,
      created_at: p.createdAt.toISOString(),
    })),
    tool_usages: i.toolUsages.map((u) => ({
      id: u.id,
      interception_id: u.interceptionId,
      provider_response_id: u.providerResponseId,
      provider_tool_call_id: u.providerToolCallId,
      server_url: u.serverUrl,
      tool: u.tool,
      input: u.input,
      injected: u.injected,
      invocation_error: u.invocationError,
      metadata: u.metadata,
      created_at: u.createdAt.toISOString(),
    })),
    model_thoughts: i.modelThoughts.map((m) => ({
      id: m.id,
      interception_id: m.interceptionId,
      content: m.content,
      metadata: m.metadata,
      created_at: m.createdAt.toISOString(),
    })),
  };
}

export function page(raw: { limit?: string; offset?: string; after_id?: string }, allowCursor: boolean) {
  const parsed = parsePagination(raw, { allowCursor });
  if (!parsed.ok) throw new ApiError(400, parsed.message, parsed.detail, parsed.validations);
  return parsed;
}

// PostgreSQL timestamps cannot take the years an RFC 3339 offset can push a Date to (0000, 10000).
function inDatabaseRange(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/** Turns the parsed `q` into SQL conditions: resolves `me` and usernames, range-checks times. */
export async function conditionsFor<F extends InterceptionFilter>(
  db: Db,
  caller: Caller,
  filter: F,
  invalidMessage = INVALID_INTERCEPTIONS_QUERY,
): Promise<Omit<F, "initiator"> & InterceptionConditions> {
  const { initiator, ...rest } = filter;
  const outOfRange = (["startedAfter", "startedBefore"] as const)
    .filter((k) => rest[k] !== undefined && !inDatabaseRange(rest[k]))
    .map((k) => ({
      field: k === "startedAfter" ? "started_after" : "started_before",
      detail: "The time must fall between the years 0001 and 9999 (UTC).",
    }));
  if (outOfRange.length) throw new ApiError(400, invalidMessage, undefined, outOfRange);
  if (initiator === undefined) return rest;
  if (initiator.kind === "me") return { ...rest, initiatorId: caller.userId };
  if (initiator.kind === "id") return { ...rest, initiatorId: initiator.id };
  const user = await findUser(db, initiator.username);
  if (!user) {
    throw new ApiError(400, invalidMessage, undefined, [
      { field: "initiator", detail: `No user named "${initiator.username}".` },
    ]);
  }
  return { ...rest, initiatorId: user.id };
}

/** `GET /api/v2/aibridge/interceptions` and `GET /api/v2/aibridge/models` (SPEC §9). */
export function aibridgeApi({ db, identities }: AibridgeApiDeps) {
  return new Elysia({ prefix: "/api/v2/aibridge", tags: ["AI Bridge"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get(
      "/interceptions",
      async ({ caller, query }) => {
        const parsed = parseInterceptionQuery(query.q);
        if (!parsed.ok) throw new ApiError(400, INVALID_INTERCEPTIONS_QUERY, undefined, parsed.validations);
        const { limit, offset, afterId } = page(query, true);
        const conditions = await conditionsFor(db, caller, parsed.filter);
        try {
          const found = await listInterceptions(db, caller, conditions, { limit, offset, afterId });
          return { count: found.count, results: found.results.map(interceptionJson) };
        } catch (error) {
          if (!(error instanceof UnknownCursorError)) throw error;
          throw new ApiError(400, INVALID_PARAMETERS, undefined, [
            { field: "after_id", detail: `No AI Bridge interception "${afterId}" to page after.` },
          ]);
        }
      },
      {
        query: InterceptionsQuery,
        response: { 200: InterceptionListSchema, ...authErrors },
        detail: {
          summary: "List AI Bridge interceptions",
          description:
            "Finished interceptions, newest first (`started_at DESC, id DESC`). Owners and auditors see all; members see their own.",
          operationId: "listAIBridgeInterceptions",
        },
      },
    )
    .get(
      "/models",
      async ({ caller, query }) => {
        const parsed = parseModelsQuery(query.q);
        if (!parsed.ok) throw new ApiError(400, INVALID_MODELS_QUERY, undefined, parsed.validations);
        const { limit, offset } = page(query, false);
        const likePrefix = parsed.prefix === null ? null : escapeLikePattern(parsed.prefix);
        return listModels(db, caller, likePrefix, { limit, offset });
      },
      {
        query: ModelsQuery,
        response: { 200: t.Array(t.String(), { title: "AIBridgeModels" }), ...authErrors },
        detail: {
          summary: "List AI Bridge models",
          description: "Distinct model names of the interceptions the caller may read, in byte order.",
          operationId: "listAIBridgeModels",
        },
      },
    );
}
