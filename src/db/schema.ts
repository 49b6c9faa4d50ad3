import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

import type { AppliedPrices } from "../cost/price-usage";
import type { PriceSource } from "../cost/prices";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const tokens = (name: string) => bigint(name, { mode: "number" });

export type Role = "owner" | "auditor" | "member";
export type UserStatus = "active" | "suspended";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull(),
    name: text("name").notNull().default(""),
    email: text("email").notNull().default(""),
    avatarUrl: text("avatar_url").notNull().default(""),
    role: text("role").$type<Role>().notNull().default("member"),
    status: text("status").$type<UserStatus>().notNull().default("active"),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("users_username_key").on(t.username)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    hashedSecret: bytea("hashed_secret").notNull(),
    name: text("name").notNull().default(""),
    createdAt: at("created_at").notNull().defaultNow(),
    expiresAt: at("expires_at").notNull(),
    lastUsedAt: at("last_used_at"),
  },
  (t) => [index("api_keys_user_id_idx").on(t.userId)],
);

/** Why an interception did not succeed (SPEC §14); null on success. */
export const errorTypes = [
  "bad_request",
  "unauthorized",
  "rate_limited",
  "overloaded",
  "server_error",
  "timeout",
  "client_disconnected",
  "interrupted",
  "unknown",
] as const;
export type ErrorType = (typeof errorTypes)[number];
export const errorType = pgEnum("aibridge_error_type", errorTypes);

export const interceptions = pgTable(
  "aibridge_interceptions",
  {
    id: uuid("id").primaryKey(),
    initiatorId: uuid("initiator_id")
      .notNull()
      .references(() => users.id),
    apiKeyId: text("api_key_id").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    client: text("client").notNull(),
    clientSessionId: text("client_session_id"),
    userAgent: text("user_agent").notNull().default(""),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    credentialKind: text("credential_kind").$type<"centralized" | "byok">().notNull(),
    credentialHint: text("credential_hint").notNull(),
    startedAt: at("started_at").notNull(),
    endedAt: at("ended_at"),
    /** The interception whose tool call this request answers, and the first of that chain (§14). */
    threadParentId: uuid("thread_parent_id"),
    threadRootId: uuid("thread_root_id"),
    sessionId: text("session_id").generatedAlwaysAs(
      sql`COALESCE(client_session_id, thread_root_id::text, id::text)`,
    ),
    /** The server process that handled it (§13: the crash sweep ends a dead instance's rows). */
    instanceId: uuid("instance_id"),
    /** The HTTP status relayed to the client; null while in flight. */
    status: integer("status"),
    errorType: errorType("error_type"),
    errorMessage: text("error_message"),
  },
  (t) => [
    index("aibridge_interceptions_started_at_id_idx").on(
      t.startedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("aibridge_interceptions_initiator_started_at_id_idx").on(
      t.initiatorId,
      t.startedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("aibridge_interceptions_model_pattern_idx").using("btree", t.model.op("text_pattern_ops")),
    // Byte order, like the models index: `/clients` walks it distinct value by distinct value.
    index("aibridge_interceptions_client_pattern_idx").using("btree", t.client.op("text_pattern_ops")),
    // A session's interceptions (§14 session detail), oldest first.
    index("aibridge_interceptions_session_idx").on(t.sessionId, t.initiatorId, t.startedAt, t.id),
  ],
);

/**
 * Child rows name their interception without a foreign key (as the reference does): checking one
 * per inserted row costs more than the rest of the insert. Retention deletes children explicitly.
 */
const interceptionId = () => uuid("interception_id").notNull();

export const tokenUsages = pgTable(
  "aibridge_token_usages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    interceptionId: interceptionId(),
    providerResponseId: text("provider_response_id").notNull().default(""),
    inputTokens: tokens("input_tokens"),
    outputTokens: tokens("output_tokens"),
    cacheReadInputTokens: tokens("cache_read_input_tokens"),
    cacheWriteInputTokens: tokens("cache_write_input_tokens"),
    metadata: jsonb("metadata").$type<Record<string, number>>().notNull().default({}),
    createdAt: at("created_at").notNull(),
    // SPEC §15: priced when recorded; null cost = unpriced. `prices` holds the prices it was priced with.
    costMicros: bigint("cost_micros", { mode: "number" }),
    pricedModel: text("priced_model"),
    prices: jsonb("prices").$type<AppliedPrices>(),
  },
  (t) => [index("aibridge_token_usages_interception_id_idx").on(t.interceptionId)],
);

export const userPrompts = pgTable(
  "aibridge_user_prompts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    interceptionId: interceptionId(),
    providerResponseId: text("provider_response_id").notNull().default(""),
    prompt: text("prompt").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at("created_at").notNull(),
  },
  (t) => [index("aibridge_user_prompts_interception_id_idx").on(t.interceptionId)],
);

export const toolUsages = pgTable(
  "aibridge_tool_usages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    interceptionId: interceptionId(),
    providerResponseId: text("provider_response_id").notNull().default(""),
    serverUrl: text("server_url"),
    tool: text("tool").notNull(),
    providerToolCallId: text("provider_tool_call_id").notNull().default(""),
    input: text("input").notNull(),
    injected: boolean("injected").notNull().default(false),
    invocationError: text("invocation_error"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at("created_at").notNull(),
  },
  (t) => [
    index("aibridge_tool_usages_interception_id_idx").on(t.interceptionId),
    // Thread resolution (§14): the newest call with a given id, probed once per ended answer.
    index("aibridge_tool_usages_call_id_idx").on(t.providerToolCallId, t.createdAt.desc(), t.id.desc()),
  ],
);

export const modelThoughts = pgTable(
  "aibridge_model_thoughts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    interceptionId: interceptionId(),
    content: text("content").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at("created_at").notNull(),
  },
  (t) => [index("aibridge_model_thoughts_interception_id_idx").on(t.interceptionId)],
);

/** One row per server process, refreshed while it lives (SPEC §13 crash sweep). */
export const instances = pgTable("aibridge_instances", {
  id: uuid("id").primaryKey(),
  hostname: text("hostname").notNull().default(""),
  pid: integer("pid").notNull(),
  startedAt: at("started_at").notNull(),
  lastSeenAt: at("last_seen_at").notNull(),
});

/** A rollup row: finished interceptions started in one UTC bucket, per provider, model and client. */
const countColumns = () => ({
  bucket: at("bucket").notNull(),
  provider: text("provider").notNull(),
  model: text("model").notNull(),
  client: text("client").notNull(),
  interceptions: bigint("interceptions", { mode: "number" }).notNull(),
});

/**
 * Finished interceptions per UTC hour and (provider, model, client), kept exact by triggers on
 * `aibridge_interceptions` (drizzle/0002). Counting a listing sums whole hours here and counts only
 * the partial hours at the ends of a time range in the table itself.
 */
export const interceptionCounts = pgTable("aibridge_interception_counts", countColumns(), (t) => [
  primaryKey({
    name: "aibridge_interception_counts_pk",
    columns: [t.bucket, t.provider, t.model, t.client],
  }),
]);

/** The same per initiator and UTC day: a member's (or an `initiator:` filtered) count. */
export const initiatorInterceptionCounts = pgTable(
  "aibridge_interception_counts_by_initiator",
  { initiatorId: uuid("initiator_id").notNull(), ...countColumns() },
  (t) => [
    primaryKey({
      name: "aibridge_interception_counts_by_initiator_pk",
      columns: [t.initiatorId, t.bucket, t.provider, t.model, t.client],
    }),
  ],
);

const micros = (name: string) => bigint(name, { mode: "number" });

/**
 * Prices per (provider, model) in micro-USD per million tokens (SPEC §15), null = unknown. Catalog
 * rows are re-seeded at every start; custom rows (set through the API) are never overwritten.
 */
export const prices = pgTable(
  "aibridge_prices",
  {
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    input: micros("input"),
    output: micros("output"),
    cacheRead: micros("cache_read"),
    cacheWrite5m: micros("cache_write_5m"),
    cacheWrite1h: micros("cache_write_1h"),
    /** The long-context tier: above this many input tokens (cache included) the `long_*` prices apply. */
    thresholdTokens: bigint("threshold_tokens", { mode: "number" }),
    longInput: micros("long_input"),
    longOutput: micros("long_output"),
    longCacheRead: micros("long_cache_read"),
    longCacheWrite5m: micros("long_cache_write_5m"),
    longCacheWrite1h: micros("long_cache_write_1h"),
    source: text("source").$type<PriceSource>().notNull(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "aibridge_prices_pk", columns: [t.provider, t.model] })],
);

/** A user's own monthly spend limit; no row = the default (`--aibridge-default-monthly-budget`). */
export const userBudgets = pgTable("aibridge_user_budgets", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  monthlyLimitMicros: bigint("monthly_limit_micros", { mode: "number" }).notNull(),
  updatedAt: at("updated_at").notNull().defaultNow(),
});

/** The sums every spend rollup keeps for its key. */
const spendColumns = () => ({
  interceptions: bigint("interceptions", { mode: "number" }).notNull().default(0),
  inputTokens: tokens("input_tokens").notNull().default(0),
  outputTokens: tokens("output_tokens").notNull().default(0),
  cacheReadInputTokens: tokens("cache_read_input_tokens").notNull().default(0),
  cacheWriteInputTokens: tokens("cache_write_input_tokens").notNull().default(0),
  costMicros: micros("cost_micros").notNull().default(0),
  unpricedUsages: bigint("unpriced_usages", { mode: "number" }).notNull().default(0),
});

/**
 * Finished interceptions, token usage and cost per initiator, UTC day of the interception's start
 * and (provider, model, client), kept exact by triggers (drizzle/0006, 0008): spend over a month
 * reads days, not rows. Two narrower rollups answer the common questions from fewer rows: per
 * initiator and day (spend by user), and per day and (provider, model, client) over every user.
 */
const dimensionColumns = () => ({
  provider: text("provider").notNull(),
  model: text("model").notNull(),
  client: text("client").notNull(),
});

export const spendDaily = pgTable(
  "aibridge_spend_daily",
  {
    initiatorId: uuid("initiator_id").notNull(),
    day: at("day").notNull(),
    ...dimensionColumns(),
    ...spendColumns(),
  },
  (t) => [
    primaryKey({
      name: "aibridge_spend_daily_pk",
      columns: [t.initiatorId, t.day, t.provider, t.model, t.client],
    }),
    index("aibridge_spend_daily_day_idx").on(t.day),
  ],
);

export const spendByUserDaily = pgTable(
  "aibridge_spend_by_user_daily",
  { initiatorId: uuid("initiator_id").notNull(), day: at("day").notNull(), ...spendColumns() },
  (t) => [
    primaryKey({ name: "aibridge_spend_by_user_daily_pk", columns: [t.initiatorId, t.day] }),
    index("aibridge_spend_by_user_daily_day_idx").on(t.day),
  ],
);

/** The per-initiator rollup by UTC month: a month's spend by user reads one row per user. */
export const spendByUserMonthly = pgTable(
  "aibridge_spend_by_user_monthly",
  { initiatorId: uuid("initiator_id").notNull(), month: at("month").notNull(), ...spendColumns() },
  (t) => [primaryKey({ name: "aibridge_spend_by_user_monthly_pk", columns: [t.initiatorId, t.month] })],
);

export const spendByModelDaily = pgTable(
  "aibridge_spend_by_model_daily",
  { day: at("day").notNull(), ...dimensionColumns(), ...spendColumns() },
  (t) => [
    primaryKey({
      name: "aibridge_spend_by_model_daily_pk",
      columns: [t.day, t.provider, t.model, t.client],
    }),
  ],
);

/**
 * One row per session (§14): finished interceptions grouped by (initiator, session_id), kept exact
 * by triggers on `aibridge_interceptions` (drizzle/0010), so that listing and counting sessions
 * never groups the interceptions themselves. `providers` and `models` are distinct and sorted in
 * byte order; `client` and `metadata` are the first interception's; `threads` counts the thread
 * roots among them; `last_prompt` is the newest prompt; `cost_micros` is null while nothing in it
 * was priced.
 */
export const sessions = pgTable(
  "aibridge_sessions",
  {
    initiatorId: uuid("initiator_id").notNull(),
    sessionId: text("session_id").notNull(),
    startedAt: at("started_at").notNull(),
    endedAt: at("ended_at").notNull(),
    lastActiveAt: at("last_active_at").notNull(),
    client: text("client").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    providers: text("providers").array().notNull(),
    models: text("models").array().notNull(),
    interceptions: bigint("interceptions", { mode: "number" }).notNull(),
    threads: bigint("threads", { mode: "number" }).notNull(),
    inputTokens: tokens("input_tokens").notNull().default(0),
    outputTokens: tokens("output_tokens").notNull().default(0),
    cacheReadInputTokens: tokens("cache_read_input_tokens").notNull().default(0),
    cacheWriteInputTokens: tokens("cache_write_input_tokens").notNull().default(0),
    costMicros: micros("cost_micros"),
    lastPrompt: text("last_prompt"),
    lastPromptAt: at("last_prompt_at"),
  },
  (t) => [
    primaryKey({ name: "aibridge_sessions_pk", columns: [t.initiatorId, t.sessionId] }),
    index("aibridge_sessions_started_at_idx").on(
      t.startedAt.desc().nullsFirst(),
      t.sessionId.desc().nullsFirst(),
      t.initiatorId.desc().nullsFirst(),
    ),
    index("aibridge_sessions_initiator_started_at_idx").on(
      t.initiatorId,
      t.startedAt.desc().nullsFirst(),
      t.sessionId.desc().nullsFirst(),
    ),
    index("aibridge_sessions_session_id_idx").on(t.sessionId),
    index("aibridge_sessions_models_idx").using("gin", t.models),
  ],
);

export const schema = {
  users,
  apiKeys,
  interceptions,
  tokenUsages,
  userPrompts,
  toolUsages,
  modelThoughts,
  instances,
  interceptionCounts,
  initiatorInterceptionCounts,
  prices,
  userBudgets,
  spendDaily,
  spendByUserDaily,
  spendByModelDaily,
  sessions,
};
