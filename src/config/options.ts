import { type Static, Type as T, type TSchema } from "@sinclair/typebox";

/** How a raw flag/env string becomes a value. */
export type OptionKind =
  | "string"
  | "address"
  | "url"
  | "postgres-url"
  | "duration"
  | "integer"
  | "boolean"
  | "log-format"
  | "redis-url"
  | "dollars";

interface OptionMeta {
  flag: string;
  env: string;
  kind: OptionKind;
  description: string;
  /** Shown in --help when the default is computed at startup. */
  defaultText?: string;
}

function option<S extends TSchema>(schema: S, meta: OptionMeta): S & OptionMeta {
  return Object.assign(schema, meta);
}

const durationMs = (def: number, description: string, flag: string, env: string) =>
  option(T.Integer({ minimum: 0, default: def }), { flag, env, kind: "duration", description });

/** The single source of every option: flag and env names, defaults, parsing kind and help text. */
export const OptionsSchema = T.Object({
  httpAddress: option(T.String({ minLength: 1, default: "127.0.0.1:3000" }), {
    flag: "http-address",
    env: "CODER_HTTP_ADDRESS",
    kind: "address",
    description: "Address (host:port) the HTTP server listens on.",
  }),
  postgresUrl: option(T.String({ default: "" }), {
    flag: "postgres-url",
    env: "CODER_PG_CONNECTION_URL",
    kind: "postgres-url",
    description: "PostgreSQL connection URL. Empty = the embedded database (PGlite) in --data-dir.",
  }),
  dataDir: option(T.String({ default: "" }), {
    flag: "data-dir",
    env: "CODER_AIBRIDGE_DATA_DIR",
    kind: "string",
    description: "Directory of the embedded database files.",
    defaultText: "$XDG_DATA_HOME/aibridge or ~/.local/share/aibridge",
  }),
  openaiKey: option(T.String({ default: "" }), {
    flag: "aibridge-openai-key",
    env: "CODER_AIBRIDGE_OPENAI_KEY",
    kind: "string",
    description: "Centralized OpenAI API key.",
  }),
  openaiBaseUrl: option(T.String({ default: "https://api.openai.com/v1/" }), {
    flag: "aibridge-openai-base-url",
    env: "CODER_AIBRIDGE_OPENAI_BASE_URL",
    kind: "url",
    description: "OpenAI API base URL (ends in /v1).",
  }),
  anthropicKey: option(T.String({ default: "" }), {
    flag: "aibridge-anthropic-key",
    env: "CODER_AIBRIDGE_ANTHROPIC_KEY",
    kind: "string",
    description: "Centralized Anthropic API key.",
  }),
  anthropicBaseUrl: option(T.String({ default: "https://api.anthropic.com/" }), {
    flag: "aibridge-anthropic-base-url",
    env: "CODER_AIBRIDGE_ANTHROPIC_BASE_URL",
    kind: "url",
    description: "Anthropic API base URL.",
  }),
  maxConcurrency: option(T.Integer({ minimum: 0, default: 0 }), {
    flag: "aibridge-max-concurrency",
    env: "CODER_AIBRIDGE_MAX_CONCURRENCY",
    kind: "integer",
    description: "Maximum concurrent data-plane requests; 0 = unlimited.",
  }),
  rateLimit: option(T.Integer({ minimum: 0, default: 0 }), {
    flag: "aibridge-rate-limit",
    env: "CODER_AIBRIDGE_RATE_LIMIT",
    kind: "integer",
    description: "Maximum intercepted requests per second per key; 0 = off.",
  }),
  circuitBreakerEnabled: option(T.Boolean({ default: false }), {
    flag: "aibridge-circuit-breaker-enabled",
    env: "CODER_AIBRIDGE_CIRCUIT_BREAKER_ENABLED",
    kind: "boolean",
    description: "Enable the per provider/route/model circuit breaker.",
  }),
  circuitBreakerFailureThreshold: option(T.Integer({ minimum: 1, default: 5 }), {
    flag: "aibridge-circuit-breaker-failure-threshold",
    env: "CODER_AIBRIDGE_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
    kind: "integer",
    description: "Consecutive failures that open the circuit.",
  }),
  circuitBreakerInterval: durationMs(
    10_000,
    "Closed state: failure counts reset this often.",
    "aibridge-circuit-breaker-interval",
    "CODER_AIBRIDGE_CIRCUIT_BREAKER_INTERVAL",
  ),
  circuitBreakerTimeout: durationMs(
    30_000,
    "Open state lasts this long before half-open.",
    "aibridge-circuit-breaker-timeout",
    "CODER_AIBRIDGE_CIRCUIT_BREAKER_TIMEOUT",
  ),
  circuitBreakerMaxRequests: option(T.Integer({ minimum: 1, default: 3 }), {
    flag: "aibridge-circuit-breaker-max-requests",
    env: "CODER_AIBRIDGE_CIRCUIT_BREAKER_MAX_REQUESTS",
    kind: "integer",
    description: "Probes admitted in half-open; that many successes close the circuit.",
  }),
  allowByok: option(T.Boolean({ default: true }), {
    flag: "aibridge-allow-byok",
    env: "CODER_AIBRIDGE_ALLOW_BYOK",
    kind: "boolean",
    description: "Allow users' own provider credentials (sent with X-Coder-Token).",
  }),
  sendActorHeaders: option(T.Boolean({ default: false }), {
    flag: "aibridge-send-actor-headers",
    env: "CODER_AIBRIDGE_SEND_ACTOR_HEADERS",
    kind: "boolean",
    description: "Add X-Ai-Bridge-Actor-Id / X-Ai-Bridge-Actor-Metadata-Username upstream.",
  }),
  retention: durationMs(
    60 * 86_400_000,
    "Delete interceptions older than this; 0 keeps all.",
    "aibridge-retention",
    "CODER_AIBRIDGE_RETENTION",
  ),
  poolSize: option(T.Integer({ minimum: 1, default: 5000 }), {
    flag: "aibridge-pool-size",
    env: "CODER_AIBRIDGE_POOL_SIZE",
    kind: "integer",
    description: "Capacity of the per-(user, key) cache.",
  }),
  poolTtl: option(T.Integer({ minimum: 1, default: 15 * 60_000 }), {
    flag: "aibridge-pool-ttl",
    env: "CODER_AIBRIDGE_POOL_TTL",
    kind: "duration",
    description: "TTL of a cache entry, fixed from insertion.",
  }),
  prometheusAddress: option(T.String({ default: "127.0.0.1:2112" }), {
    flag: "prometheus-address",
    env: "CODER_PROMETHEUS_ADDRESS",
    kind: "address",
    description: "Address of the /metrics listener; empty disables it.",
  }),
  logFormat: option(T.Union([T.Literal("human"), T.Literal("json")], { default: "json" }), {
    flag: "log-format",
    env: "CODER_LOG_FORMAT",
    kind: "log-format",
    description: "Log format: human or json.",
    defaultText: "human on a TTY, else json",
  }),
  shutdownGracePeriod: durationMs(
    30_000,
    "How long in-flight requests may finish after SIGTERM.",
    "shutdown-grace-period",
    "CODER_SHUTDOWN_GRACE_PERIOD",
  ),
  redisUrl: option(T.String({ default: "" }), {
    flag: "redis-url",
    env: "CODER_AIBRIDGE_REDIS_URL",
    kind: "redis-url",
    description: "Redis URL for rate limits and budget spend shared across replicas; empty = per process.",
  }),
  defaultMonthlyBudget: option(T.Number({ minimum: 0, default: 0 }), {
    flag: "aibridge-default-monthly-budget",
    env: "CODER_AIBRIDGE_DEFAULT_MONTHLY_BUDGET",
    kind: "dollars",
    description: "Dollars per user per UTC month for users without a budget of their own; 0 = unlimited.",
  }),
  recordPrompts: option(T.Boolean({ default: true }), {
    flag: "aibridge-record-prompts",
    env: "CODER_AIBRIDGE_RECORD_PROMPTS",
    kind: "boolean",
    description: "Store prompt text (off: prompt rows are kept with empty text).",
  }),
  recordToolInputs: option(T.Boolean({ default: true }), {
    flag: "aibridge-record-tool-inputs",
    env: "CODER_AIBRIDGE_RECORD_TOOL_INPUTS",
    kind: "boolean",
    description: "Store tool call arguments (off: tool rows are kept with empty input).",
  }),
  recordThoughts: option(T.Boolean({ default: true }), {
    flag: "aibridge-record-thoughts",
    env: "CODER_AIBRIDGE_RECORD_THOUGHTS",
    kind: "boolean",
    description: "Store model thinking and reasoning summaries (off: rows are kept with empty text).",
  }),
  recordingQueueLimit: option(T.Integer({ minimum: 1, default: 100_000 }), {
    flag: "aibridge-recording-queue-limit",
    env: "CODER_AIBRIDGE_RECORDING_QUEUE_LIMIT",
    kind: "integer",
    description: "Pending records before new intercepted requests get 503.",
  }),
});

export type Config = Static<typeof OptionsSchema>;
export type OptionName = keyof Config;
export type OptionSchema = TSchema & OptionMeta & { default: unknown };

export function optionEntries(): [OptionName, OptionSchema][] {
  return Object.entries(OptionsSchema.properties) as [OptionName, OptionSchema][];
}
