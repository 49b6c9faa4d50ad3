import { type RateLimitKeyOf, rateLimitKey } from "./rate-limit-key";

/** The answer to one rate-limit check, with what the `X-RateLimit-*` / `Retry-After` headers need. */
export interface RateDecision {
  allowed: boolean;
  /** Requests per second per key (0 = limiting is off). */
  limit: number;
  /** Requests this key may still make right now. */
  remaining: number;
  /** Unix time, whole seconds, when the key's whole budget is available again. */
  resetAt: number;
  /** Whole seconds (>= 1) until this key would be admitted; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * A per-key rate limit as the data plane uses it: in process (`RateLimiter`, synchronous) or shared
 * through Redis (`SharedRateLimiter`, asynchronous while Redis is up). Each names a request's budget
 * its own way (`keyOf`): a per-process hash cannot be shared.
 */
export interface RequestRateLimit {
  keyOf: RateLimitKeyOf;
  check(key: string): RateDecision | Promise<RateDecision>;
}

export interface RateLimiterOptions {
  /** Requests per second per key; 0 = off. */
  limit: number;
  /** Unix time in milliseconds. Defaults to `Date.now`. */
  now?: () => number;
}

const WINDOW_MS = 1000;
/** Distinct whole milliseconds in a window: a key never needs more entries than this. */
const MAX_ENTRIES = WINDOW_MS + 1;
const INITIAL_CAPACITY = 2;

const OFF: RateDecision = Object.freeze({
  allowed: true,
  limit: 0,
  remaining: 0,
  resetAt: 0,
  retryAfterSeconds: 0,
});

/**
 * One key's admissions in the last second, oldest first: a ring of (time, count) entries, one entry
 * per whole millisecond. With an integer clock that is an exact sliding log, and it never holds more
 * than min(limit, 1001) entries whatever the limit. An entry keeps the time of its latest admission,
 * so merging admissions into one entry can only make the window stricter, never looser.
 */
class KeyWindow {
  private times: number[];
  private counts: number[];
  private head = 0;
  private size = 0;
  total = 0;

  constructor(capacity: number) {
    this.times = new Array<number>(capacity).fill(0);
    this.counts = new Array<number>(capacity).fill(0);
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  get newest(): number {
    return this.times[(this.head + this.size - 1) & (this.times.length - 1)]!;
  }

  /** Forgets the entries whose latest admission is at or before `cutoff`. */
  expire(cutoff: number): void {
    const mask = this.times.length - 1;
    while (this.size > 0) {
      const i = this.head;
      if (this.times[i]! > cutoff) return;
      this.total -= this.counts[i]!;
      this.head = (i + 1) & mask;
      this.size--;
    }
  }

  record(t: number, maxCapacity: number): void {
    this.total++;
    if (this.size > 0) {
      const capacity = this.times.length;
      const last = (this.head + this.size - 1) & (capacity - 1);
      const full = this.size === capacity;
      // Same millisecond, or (never expected: the capacity covers every live entry) no room at all.
      if (Math.floor(this.times[last]!) === Math.floor(t) || (full && capacity >= maxCapacity)) {
        this.times[last] = t;
        this.counts[last]!++;
        return;
      }
      if (full) this.grow();
    }
    const i = (this.head + this.size) & (this.times.length - 1);
    this.times[i] = t;
    this.counts[i] = 1;
    this.size++;
  }

  /** The earliest time at which fewer than `limit` admissions remain in the window. */
  admitsAgainAt(limit: number): number {
    const mask = this.times.length - 1;
    let left = this.total;
    for (let k = 0, i = this.head; k < this.size; k++, i = (i + 1) & mask) {
      left -= this.counts[i]!;
      if (left < limit) return this.times[i]! + WINDOW_MS;
    }
    return this.newest + WINDOW_MS;
  }

  private grow(): void {
    const capacity = this.times.length;
    const times = new Array<number>(capacity * 2).fill(0);
    const counts = new Array<number>(capacity * 2).fill(0);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (capacity - 1);
      times[k] = this.times[i]!;
      counts[k] = this.counts[i]!;
    }
    this.times = times;
    this.counts = counts;
    this.head = 0;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Per-key sliding-window rate limit (SPEC §6): no key is ever admitted more than `limit` requests in
 * any 1-second interval, a burst of `limit` at one instant is admitted, and a key that waits
 * `retryAfterSeconds` is admitted.
 *
 * Memory stays bounded with any number of distinct keys: windows live in two generations of maps
 * swapped every second. A key touched in the current generation is moved into it; a key left
 * untouched for a whole generation has only admissions older than a window, so dropping the old
 * generation wholesale forgets nothing that matters.
 */
export class RateLimiter implements RequestRateLimit {
  readonly keyOf = rateLimitKey;
  private readonly limit: number;
  private readonly now: () => number;
  private readonly maxCapacity: number;
  private current = new Map<string, KeyWindow>();
  private previous = new Map<string, KeyWindow>();
  private rotatesAt = Number.NEGATIVE_INFINITY;

  constructor(opts: RateLimiterOptions) {
    this.limit = opts.limit > 0 ? Math.floor(opts.limit) : 0;
    this.now = opts.now ?? Date.now;
    this.maxCapacity = nextPowerOfTwo(Math.min(this.limit, MAX_ENTRIES));
  }

  check(key: string): RateDecision {
    const limit = this.limit;
    if (limit === 0) return OFF;
    const now = this.now();
    if (now >= this.rotatesAt) this.rotate(now);
    const window = this.windowOf(key);

    // A clock stepping backwards must never make recorded admissions look older than they are.
    const t = window.isEmpty ? now : Math.max(now, window.newest);
    window.expire(t - WINDOW_MS);
    if (window.total < limit) {
      window.record(t, this.maxCapacity);
      return {
        allowed: true,
        limit,
        remaining: limit - window.total,
        resetAt: Math.ceil((t + WINDOW_MS) / 1000),
        retryAfterSeconds: 0,
      };
    }
    const waitMs = window.admitsAgainAt(limit) - now;
    return {
      allowed: false,
      limit,
      remaining: 0,
      resetAt: Math.ceil((window.newest + WINDOW_MS) / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }

  /** Keys whose state is held (both generations): bounded by the keys seen in the last two seconds. */
  get trackedKeys(): number {
    return this.current.size + this.previous.size;
  }

  private windowOf(key: string): KeyWindow {
    let window = this.current.get(key);
    if (window !== undefined) return window;
    window = this.previous.get(key);
    if (window !== undefined) this.previous.delete(key);
    else window = new KeyWindow(Math.min(INITIAL_CAPACITY, this.maxCapacity));
    this.current.set(key, window);
    return window;
  }

  private rotate(now: number): void {
    // Two generations idle (no call for a second or more): nothing held is still relevant.
    this.previous = now < this.rotatesAt + WINDOW_MS ? this.current : new Map();
    this.current = new Map();
    this.rotatesAt = now + WINDOW_MS;
  }
}
