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

export type TransitionListener = (from: BreakerState, to: BreakerState, breaker: CircuitBreaker) => void;

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
  /** Admitted requests that have not ended yet, whatever their generation. */
  private inFlight = 0;

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

  /** Closed (as last decided: time alone never closes a circuit) with no request in flight. */
  get idle(): boolean {
    return this.current === "closed" && this.inFlight === 0;
  }

  /** Closed as last decided; an open or half-open breaker must be kept until it closes. */
  get closed(): boolean {
    return this.current === "closed";
  }

  /** Knows nothing a new breaker would not: closed, no failure counted, no request in flight. */
  get pristine(): boolean {
    return this.current === "closed" && this.inFlight === 0 && this.consecutiveFailures === 0;
  }

  /** Called after each admitted request has ended and been counted. */
  protected settled(): void {}

  /** Admits a request (call `done` once it has ended) or rejects it without any upstream call. */
  tryAcquire(): BreakerPermit {
    const now = this.now();
    const state = this.refresh(now);
    if (state === "open") return { ok: false, retryAfterMs: Math.max(1, Math.ceil(this.expiresAt - now)) };
    if (state === "half-open" && this.requests >= this.maxRequests) {
      return { ok: false, retryAfterMs: HALF_OPEN_RETRY_MS };
    }
    this.requests++;
    this.inFlight++;
    const generation = this.generation;
    let finished = false;
    return {
      ok: true,
      done: (failure: boolean) => {
        if (finished) return;
        finished = true;
        this.inFlight--;
        this.settle(generation, failure);
        this.settled();
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
    this.onTransition?.(from, to, this);
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

/** The most breakers one process keeps (SPEC §13): model names are chosen by clients. */
export const MAX_BREAKERS = 10_000;

/** A breaker kept by `CircuitBreakers`, with its key. */
class KeptBreaker extends CircuitBreaker {
  /** Used since the eviction scan last passed it (a "second chance", as in the CLOCK algorithm). */
  used = false;

  constructor(
    opts: BreakerOptions,
    onTransition: TransitionListener | undefined,
    readonly key: BreakerKey,
    private readonly owner: CircuitBreakers,
  ) {
    super(opts, onTransition);
  }

  protected override settled(): void {
    if (this.pristine) this.owner.forget(this);
  }
}

/**
 * The breakers of every provider × route × model (SPEC §7, §13), each created on first use and
 * forgotten as soon as it knows nothing a new one would not (closed, no failure counted, nothing in
 * flight): a model that only ever succeeds costs no lasting state. At most `capacity` are kept; to
 * make room, an idle closed breaker not used lately is dropped first, then a closed one with requests
 * in flight (they settle on the dropped breaker); an open or half-open one is kept until it closes.
 * When every kept breaker is open or half-open, a new model gets a breaker that is not kept.
 */
export class CircuitBreakers {
  /** provider → route → model: the hot-path lookup, with no string building. */
  private readonly byParts = new Map<string, Map<string, Map<string, KeptBreaker>>>();
  /** Every kept breaker; the eviction scan starts at the oldest and moves what it keeps to the end. */
  private readonly order = new Set<KeptBreaker>();
  /** One listener for all breakers (a closure per breaker would cost memory per model name). */
  private readonly listener: TransitionListener | undefined;

  constructor(
    private readonly opts: BreakerOptions,
    onTransition?: (key: BreakerKey, from: BreakerState, to: BreakerState) => void,
    private readonly capacity = MAX_BREAKERS,
  ) {
    this.listener = onTransition
      ? (from, to, breaker) => onTransition((breaker as KeptBreaker).key, from, to)
      : undefined;
  }

  /** The breaker keyed `provider:route:model`. */
  get(provider: string, route: string, model: string): CircuitBreaker {
    const models = this.models(provider, route);
    const found = models.get(model);
    if (found !== undefined) {
      found.used = true;
      return found;
    }
    const breaker = new KeptBreaker(this.opts, this.listener, { provider, route, model }, this);
    if (this.order.size >= this.capacity && !this.evictOne()) return breaker;
    models.set(model, breaker);
    this.order.add(breaker);
    return breaker;
  }

  /** How many breakers are kept. */
  get size(): number {
    return this.order.size;
  }

  /** Every kept breaker, by `provider:route:model`. */
  *states(): Iterable<[string, CircuitBreaker]> {
    for (const breaker of this.order) {
      const { provider, route, model } = breaker.key;
      yield [`${provider}:${route}:${model}`, breaker];
    }
  }

  /** Stops keeping `breaker` (if it is still the one kept under its key). */
  forget(breaker: KeptBreaker): void {
    const { provider, route, model } = breaker.key;
    const models = this.models(provider, route);
    if (models.get(model) !== breaker) return;
    models.delete(model);
    this.order.delete(breaker);
  }

  private models(provider: string, route: string): Map<string, KeptBreaker> {
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
    return models;
  }

  private evictOne(): boolean {
    // Oldest first; what is kept moves to the end, so two rounds find an idle closed breaker
    // that was not used in between, if there is one.
    for (let scanned = 0, rounds = 2 * this.order.size; scanned < rounds; scanned++) {
      const breaker = this.order.values().next().value!;
      if (breaker.idle && !breaker.used) return this.dropped(breaker);
      breaker.used = false;
      this.order.delete(breaker);
      this.order.add(breaker);
    }
    for (const breaker of this.order) if (breaker.closed) return this.dropped(breaker);
    return false;
  }

  private dropped(breaker: KeptBreaker): true {
    this.forget(breaker);
    return true;
  }
}
