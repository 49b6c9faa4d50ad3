export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures (while closed) that open the circuit. */
  failureThreshold: number;
  /** Closed state: counts reset this often; 0 = never. */
  intervalMs: number;
  /** Open → half-open after this long. */
  timeoutMs: number;
  /** Half-open: requests admitted at once; that many consecutive successes close the circuit. */
  maxRequests: number;
  /** Milliseconds; defaults to `performance.now` (monotonic). */
  now?: () => number;
}

export type BreakerPermit = { ok: true; done(failure: boolean): void } | { ok: false; retryAfterMs: number };

export type TransitionListener = (from: BreakerState, to: BreakerState) => void;

/** Upstream statuses that count as a breaker failure (SPEC §7). */
export function isFailureStatus(status: number): boolean {
  return status === 429 || status === 503 || status === 504 || status === 529;
}

/**
 * Half-open rejects while its probes are in flight, and their outcome is not known yet: the shortest
 * honest wait to suggest is the minimum the client can be told (one whole second).
 */
const HALF_OPEN_RETRY_MS = 1000;

/**
 * One circuit breaker (SPEC §7), the same state machine as sony/gobreaker with
 * ReadyToTrip = consecutive failures >= threshold:
 * - closed: counts start over every `intervalMs` (a new generation); `failureThreshold` consecutive
 *   failures open the circuit;
 * - open: every request is rejected until `timeoutMs` has passed, then half-open;
 * - half-open: at most `maxRequests` requests are admitted; `maxRequests` consecutive successes close
 *   the circuit, any failure opens it again for a full timeout.
 * Each state change starts a new generation; results of requests admitted in an older generation are
 * ignored. Time is only read, never waited on: open → half-open happens on the next call.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxRequests: number;
  private readonly now: () => number;

  private current: BreakerState = "closed";
  private generation = 0;
  /** closed: when counts reset (Infinity = never); open: when half-open begins; half-open: unused. */
  private expiresAt: number;
  private requests = 0;
  private consecutiveSuccesses = 0;
  private consecutiveFailures = 0;

  constructor(
    opts: BreakerOptions,
    private readonly onTransition?: TransitionListener,
  ) {
    this.failureThreshold = Math.max(1, opts.failureThreshold);
    this.intervalMs = opts.intervalMs;
    this.timeoutMs = Math.max(0, opts.timeoutMs);
    this.maxRequests = Math.max(1, opts.maxRequests);
    this.now = opts.now ?? (() => performance.now());
    this.expiresAt = this.closedExpiry(this.now());
  }

  get state(): BreakerState {
    return this.refresh(this.now());
  }

  /** Admits a request (call `done` once it has ended) or rejects it without any upstream call. */
  tryAcquire(): BreakerPermit {
    const now = this.now();
    const state = this.refresh(now);
    if (state === "open") return { ok: false, retryAfterMs: Math.max(1, Math.ceil(this.expiresAt - now)) };
    if (state === "half-open" && this.requests >= this.maxRequests) {
      return { ok: false, retryAfterMs: HALF_OPEN_RETRY_MS };
    }
    this.requests++;
    const generation = this.generation;
    let finished = false;
    return {
      ok: true,
      done: (failure: boolean) => {
        if (finished) return;
        finished = true;
        this.settle(generation, failure);
      },
    };
  }

  private settle(generation: number, failure: boolean): void {
    const now = this.now();
    const state = this.refresh(now);
    if (generation !== this.generation) return;
    if (failure) {
      this.consecutiveFailures++;
      this.consecutiveSuccesses = 0;
      if (state === "half-open" || this.consecutiveFailures >= this.failureThreshold) {
        this.transition("open", now);
      }
    } else {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
      if (state === "half-open" && this.consecutiveSuccesses >= this.maxRequests) {
        this.transition("closed", now);
      }
    }
  }

  /** Applies what the passing of time alone changes, and returns the state as of `now`. */
  private refresh(now: number): BreakerState {
    if (now >= this.expiresAt) {
      if (this.current === "closed") this.newGeneration(now);
      else if (this.current === "open") this.transition("half-open", now);
    }
    return this.current;
  }

  private transition(to: BreakerState, now: number): void {
    const from = this.current;
    this.current = to;
    this.newGeneration(now);
    this.onTransition?.(from, to);
  }

  private newGeneration(now: number): void {
    this.generation++;
    this.requests = 0;
    this.consecutiveSuccesses = 0;
    this.consecutiveFailures = 0;
    if (this.current === "closed") this.expiresAt = this.closedExpiry(now);
    else if (this.current === "open") this.expiresAt = now + this.timeoutMs;
    else this.expiresAt = Number.POSITIVE_INFINITY;
  }

  private closedExpiry(now: number): number {
    return this.intervalMs > 0 ? now + this.intervalMs : Number.POSITIVE_INFINITY;
  }
}

export interface BreakerKey {
  provider: string;
  route: string;
  model: string;
}

/** The breakers of every provider × route × model, each created on first use. */
export class CircuitBreakers {
  /** By `provider:route:model`, in creation order. */
  private readonly byName = new Map<string, CircuitBreaker>();
  /** provider → route → model: the hot-path lookup, with no string building. */
  private readonly byParts = new Map<string, Map<string, Map<string, CircuitBreaker>>>();

  constructor(
    private readonly opts: BreakerOptions,
    private readonly onTransition?: (key: BreakerKey, from: BreakerState, to: BreakerState) => void,
  ) {}

  /** The breaker keyed `provider:route:model`. */
  get(provider: string, route: string, model: string): CircuitBreaker {
    let routes = this.byParts.get(provider);
    if (routes === undefined) {
      routes = new Map();
      this.byParts.set(provider, routes);
    }
    let models = routes.get(route);
    if (models === undefined) {
      models = new Map();
      routes.set(route, models);
    }
    let breaker = models.get(model);
    if (breaker === undefined) {
      const listener = this.onTransition;
      const key: BreakerKey = { provider, route, model };
      breaker = new CircuitBreaker(this.opts, listener ? (from, to) => listener(key, from, to) : undefined);
      models.set(model, breaker);
      this.byName.set(`${provider}:${route}:${model}`, breaker);
    }
    return breaker;
  }

  /** Every breaker created so far, by `provider:route:model`. */
  states(): Iterable<[string, CircuitBreaker]> {
    return this.byName.entries();
  }
}
