import { sharedRateLimitKey } from "./rate-limit-key";
import type { RateDecision, RateLimiter, RequestRateLimit } from "./rate-limiter";

/**
 * Where the shared limiter runs its script: Redis through src/cluster/ in production, a fake in unit
 * tests. `up` is false while the store is known to be unreachable; `evalScript` rejects on any error
 * or timeout (the store then turns itself down and retries in the background).
 */
export interface ScriptStore {
  readonly up: boolean;
  /** The script will be run: the store may prepare it (Redis: load it on every connection). */
  register(script: string): void;
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown>;
}

const WINDOW_US = 1_000_000;
const WINDOW_US_ARG = String(WINDOW_US);
const EXPIRY_MS_ARG = String(WINDOW_US / 1000);

/**
 * One key's admissions of the last second, as a sorted set scored by admission time in microseconds
 * of the Redis server's own clock (one clock for every replica), checked and recorded in one atomic
 * step: an exact sliding log, like the in-process limiter. Members are unique (limiter id + counter).
 * A clock stepping backwards never makes recorded admissions look older than they are. The set
 * expires a second after its newest admission, so idle keys cost nothing and a key never holds more
 * than `limit` members.
 *
 * ARGV: limit, window (µs), a unique member, the set's expiry (ms) and (tests only) the current
 * time in µs.
 * Returns {allowed, remaining, reset (µs: when the budget is full again), wait (µs until admitted)}.
 */
export const SLIDING_LOG_SCRIPT = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[5])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if newest[2] ~= nil and tonumber(newest[2]) > now then now = tonumber(newest[2]) end
-- Lua would print a bare number with 14 significant digits: times are formatted whole.
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', key, ARGV[4])
  return {1, limit - count - 1, now + window, 0}
end
local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
return {0, 0, tonumber(newest[2]) + window, tonumber(freeing[2]) + window - now}
`;

export interface SharedRateLimiterOptions {
  /** Requests per second per key (> 0). */
  limit: number;
  store: ScriptStore;
  /** Decides while the store is down: the per-process limiter with the same limit. */
  fallback: RateLimiter;
  /** Prefix of every Redis key (several deployments or test runs may share one Redis). */
  prefix: string;
  /**
   * Tests only: the current Unix time in ms instead of the Redis server's clock (idle sets then
   * expire after a minute, not a second: simulated time runs apart from real time).
   */
  now?: () => number;
}

/**
 * The per-key rate limit shared by every replica on one Redis (SPEC §16), with the decision shape of
 * the in-process `RateLimiter`. While the store is down each replica decides alone, at once: no
 * request ever waits for or fails because of Redis.
 */
export class SharedRateLimiter implements RequestRateLimit {
  readonly keyOf = sharedRateLimitKey;
  private readonly limitArg: string;
  /** Members are this limiter's random id and a counter: unique across limiters and replicas. */
  private readonly id = crypto.getRandomValues(new Uint32Array(2)).join(".");
  private sequence = 0;

  constructor(private readonly opts: SharedRateLimiterOptions) {
    this.limitArg = String(Math.floor(opts.limit));
    opts.store.register(SLIDING_LOG_SCRIPT);
  }

  check(key: string): RateDecision | Promise<RateDecision> {
    const { store, fallback } = this.opts;
    if (!store.up) return fallback.check(key);
    const member = `${this.id}.${(this.sequence++).toString(36)}`;
    const now = this.opts.now;
    const args = now
      ? [this.limitArg, WINDOW_US_ARG, member, "60000", String(Math.round(now() * 1000))]
      : [this.limitArg, WINDOW_US_ARG, member, EXPIRY_MS_ARG];
    return store.evalScript(SLIDING_LOG_SCRIPT, [this.opts.prefix + key], args).then(
      (reply) => toDecision(reply, this.opts.limit) ?? fallback.check(key),
      () => fallback.check(key),
    );
  }
}

function toDecision(reply: unknown, limit: number): RateDecision | null {
  if (!Array.isArray(reply) || reply.length !== 4) return null;
  const [allowed, remaining, resetUs, waitUs] = reply.map(Number) as [number, number, number, number];
  if (![allowed, remaining, resetUs, waitUs].every(Number.isFinite)) return null;
  return {
    allowed: allowed === 1,
    limit: Math.floor(limit),
    remaining,
    resetAt: Math.ceil(resetUs / WINDOW_US),
    retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(waitUs / WINDOW_US)),
  };
}
