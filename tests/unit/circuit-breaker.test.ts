import { describe, expect, test } from "bun:test";

import {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  CircuitBreakers,
  isFailureStatus,
  MAX_BREAKERS,
} from "../../src/bridge/circuit-breaker.ts";

const OPTIONS = { failureThreshold: 3, intervalMs: 10_000, timeoutMs: 30_000, maxRequests: 2 };

function setup(overrides: Partial<BreakerOptions> = {}) {
  const clock = { now: 1_000 };
  const transitions: [BreakerState, BreakerState][] = [];
  const breaker = new CircuitBreaker({ ...OPTIONS, ...overrides, now: () => clock.now }, (from, to) =>
    transitions.push([from, to]),
  );
  return { clock, breaker, transitions };
}

/** Admits one request and ends it at once. */
function run(breaker: CircuitBreaker, failure: boolean): void {
  const permit = breaker.tryAcquire();
  if (!permit.ok) throw new Error(`rejected in state ${breaker.state}`);
  permit.done(failure);
}

function admit(breaker: CircuitBreaker): (failure: boolean) => void {
  const permit = breaker.tryAcquire();
  if (!permit.ok) throw new Error(`rejected in state ${breaker.state}`);
  return (failure) => permit.done(failure);
}

function tripOpen(breaker: CircuitBreaker): void {
  for (let i = 0; i < OPTIONS.failureThreshold; i++) run(breaker, true);
  expect(breaker.state).toBe("open");
}

describe("isFailureStatus", () => {
  test("429, 503, 504 and 529 are failures; nothing else is", () => {
    for (const status of [429, 503, 504, 529]) expect(isFailureStatus(status)).toBe(true);
    for (const status of [200, 201, 400, 401, 403, 404, 408, 413, 422, 500, 501, 502, 505, 530]) {
      expect(isFailureStatus(status)).toBe(false);
    }
  });
});

describe("CircuitBreaker: closed", () => {
  test("starts closed and admits", () => {
    const { breaker } = setup();
    expect(breaker.state).toBe("closed");
    for (let i = 0; i < 100; i++) run(breaker, false);
    expect(breaker.state).toBe("closed");
  });

  test("threshold consecutive failures open it", () => {
    const { breaker, transitions } = setup();
    run(breaker, true);
    run(breaker, true);
    expect(breaker.state).toBe("closed");
    run(breaker, true);
    expect(breaker.state).toBe("open");
    expect(transitions).toEqual([["closed", "open"]]);
  });

  test("only consecutive failures count: a success resets the streak", () => {
    const { breaker, transitions } = setup();
    for (let i = 0; i < 10; i++) {
      run(breaker, true);
      run(breaker, true);
      run(breaker, false);
    }
    expect(breaker.state).toBe("closed");
    expect(transitions).toEqual([]);
  });

  test("counts reset every interval", () => {
    const { clock, breaker } = setup();
    run(breaker, true);
    run(breaker, true);
    clock.now += OPTIONS.intervalMs;
    run(breaker, true);
    run(breaker, true);
    expect(breaker.state).toBe("closed");
    run(breaker, true);
    expect(breaker.state).toBe("open");
  });

  test("the interval is a fixed cadence, not a sliding idle timer", () => {
    const { clock, breaker } = setup();
    clock.now += OPTIONS.intervalMs - 1;
    run(breaker, true);
    run(breaker, true);
    clock.now += 1; // a new generation starts exactly one interval after the first
    run(breaker, true);
    expect(breaker.state).toBe("closed");
  });

  test("interval 0 never resets the counts", () => {
    const { clock, breaker } = setup({ intervalMs: 0 });
    run(breaker, true);
    clock.now += 1_000_000;
    run(breaker, true);
    clock.now += 1_000_000;
    run(breaker, true);
    expect(breaker.state).toBe("open");
  });

  test("results of requests started before the interval reset are ignored", () => {
    const { clock, breaker } = setup();
    const pending = [admit(breaker), admit(breaker), admit(breaker)];
    clock.now += OPTIONS.intervalMs;
    for (const done of pending) done(true);
    expect(breaker.state).toBe("closed");
    run(breaker, true);
    run(breaker, true);
    expect(breaker.state).toBe("closed");
  });

  test("failures of concurrent requests count when they end", () => {
    const { breaker } = setup();
    const pending = [admit(breaker), admit(breaker), admit(breaker)];
    pending[0]!(true);
    pending[1]!(true);
    expect(breaker.state).toBe("closed");
    pending[2]!(true);
    expect(breaker.state).toBe("open");
  });

  test("done is idempotent", () => {
    const { breaker } = setup();
    const done = admit(breaker);
    done(true);
    done(true);
    done(true);
    expect(breaker.state).toBe("closed");
    const other = admit(breaker);
    other(true);
    other(false);
    run(breaker, true);
    expect(breaker.state).toBe("open");
  });

  test("a threshold of 1 opens on the first failure", () => {
    const { breaker } = setup({ failureThreshold: 1 });
    run(breaker, true);
    expect(breaker.state).toBe("open");
  });
});

describe("CircuitBreaker: open", () => {
  test("rejects every request, with the time left until half-open", () => {
    const { clock, breaker } = setup();
    tripOpen(breaker);
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: OPTIONS.timeoutMs });
    clock.now += 12_345;
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: OPTIONS.timeoutMs - 12_345 });
    clock.now += OPTIONS.timeoutMs - 12_345 - 1;
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: 1 });
  });

  test("no upstream call is made while open", () => {
    const { breaker } = setup();
    let upstreamCalls = 0;
    const call = () => {
      const permit = breaker.tryAcquire();
      if (!permit.ok) return permit.retryAfterMs;
      upstreamCalls++;
      permit.done(true);
      return 0;
    };
    for (let i = 0; i < 100; i++) call();
    expect(upstreamCalls).toBe(OPTIONS.failureThreshold);
  });

  test("turns half-open once the timeout has passed, lazily", () => {
    const { clock, breaker, transitions } = setup();
    tripOpen(breaker);
    clock.now += OPTIONS.timeoutMs - 1;
    expect(breaker.state).toBe("open");
    clock.now += 1;
    expect(transitions).toEqual([["closed", "open"]]);
    expect(breaker.state).toBe("half-open");
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half-open"],
    ]);
  });

  test("the first request after the timeout is admitted as a probe", () => {
    const { clock, breaker } = setup();
    tripOpen(breaker);
    clock.now += OPTIONS.timeoutMs;
    expect(breaker.tryAcquire().ok).toBe(true);
    expect(breaker.state).toBe("half-open");
  });

  test("results of requests admitted before it opened are ignored", () => {
    const { clock, breaker } = setup();
    const late = [admit(breaker), admit(breaker), admit(breaker)];
    tripOpen(breaker);
    for (const done of late) done(false);
    expect(breaker.state).toBe("open");
    clock.now += OPTIONS.timeoutMs;
    const probe = admit(breaker);
    for (const done of late) done(true);
    probe(false);
    expect(breaker.state).toBe("half-open");
  });
});

describe("CircuitBreaker: half-open", () => {
  function halfOpen(overrides: Partial<BreakerOptions> = {}) {
    const context = setup(overrides);
    tripOpen(context.breaker);
    context.clock.now += OPTIONS.timeoutMs;
    expect(context.breaker.state).toBe("half-open");
    return context;
  }

  test("admits at most max_requests concurrent probes", () => {
    const { breaker } = halfOpen();
    admit(breaker);
    admit(breaker);
    const third = breaker.tryAcquire();
    expect(third.ok).toBe(false);
    if (!third.ok) expect(third.retryAfterMs).toBeGreaterThanOrEqual(1);
  });

  test("max_requests consecutive successes close it", () => {
    const { breaker, transitions } = halfOpen();
    run(breaker, false);
    expect(breaker.state).toBe("half-open");
    run(breaker, false);
    expect(breaker.state).toBe("closed");
    expect(transitions.at(-1)).toEqual(["half-open", "closed"]);
  });

  test("closed again, it starts with fresh counts", () => {
    const { breaker } = halfOpen();
    run(breaker, false);
    run(breaker, false);
    run(breaker, true);
    run(breaker, true);
    expect(breaker.state).toBe("closed");
    run(breaker, true);
    expect(breaker.state).toBe("open");
  });

  test("concurrent probes that all succeed close it", () => {
    const { breaker } = halfOpen({ maxRequests: 3 });
    const probes = [admit(breaker), admit(breaker), admit(breaker)];
    expect(breaker.tryAcquire().ok).toBe(false);
    for (const done of probes) done(false);
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire().ok).toBe(true);
  });

  test("any failure reopens it for a full new timeout", () => {
    const { clock, breaker, transitions } = halfOpen();
    clock.now += 5_000;
    run(breaker, false);
    run(breaker, true);
    expect(breaker.state).toBe("open");
    expect(transitions.at(-1)).toEqual(["half-open", "open"]);
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: OPTIONS.timeoutMs });
    clock.now += OPTIONS.timeoutMs - 1;
    expect(breaker.state).toBe("open");
    clock.now += 1;
    expect(breaker.state).toBe("half-open");
  });

  test("a failing probe ends the probes still in flight", () => {
    const { clock, breaker } = halfOpen();
    const first = admit(breaker);
    const second = admit(breaker);
    first(true);
    expect(breaker.state).toBe("open");
    second(false);
    expect(breaker.state).toBe("open");
    clock.now += OPTIONS.timeoutMs;
    run(breaker, false);
    expect(breaker.state).toBe("half-open");
  });

  test("the probe budget does not refill while half-open", () => {
    const { clock, breaker } = halfOpen({ maxRequests: 1 });
    admit(breaker);
    clock.now += 10 * OPTIONS.timeoutMs;
    expect(breaker.tryAcquire().ok).toBe(false);
    expect(breaker.state).toBe("half-open");
  });

  test("max_requests below 1 behaves as 1", () => {
    const { breaker } = halfOpen({ maxRequests: 0 });
    const probe = admit(breaker);
    expect(breaker.tryAcquire().ok).toBe(false);
    probe(false);
    expect(breaker.state).toBe("closed");
  });
});

describe("CircuitBreaker: full cycle", () => {
  test("closed → open → half-open → open → half-open → closed, each logged once", () => {
    const { clock, breaker, transitions } = setup();
    tripOpen(breaker);
    clock.now += OPTIONS.timeoutMs;
    run(breaker, true);
    clock.now += OPTIONS.timeoutMs;
    run(breaker, false);
    run(breaker, false);
    expect(breaker.state).toBe("closed");
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half-open"],
      ["half-open", "open"],
      ["open", "half-open"],
      ["half-open", "closed"],
    ]);
  });

  test("retryAfterMs is whole milliseconds, at least 1", () => {
    const { clock, breaker } = setup();
    tripOpen(breaker);
    clock.now += OPTIONS.timeoutMs - 0.25;
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: 1 });
    clock.now -= 1000.5;
    expect(breaker.tryAcquire()).toEqual({ ok: false, retryAfterMs: 1001 });
  });

  test("a zero timeout makes the next request a probe", () => {
    const { breaker, transitions } = setup({ timeoutMs: 0 });
    for (let i = 0; i < OPTIONS.failureThreshold; i++) run(breaker, true);
    expect(breaker.tryAcquire().ok).toBe(true);
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half-open"],
    ]);
  });
});

describe("CircuitBreakers", () => {
  function breakers() {
    const clock = { now: 0 };
    const transitions: string[] = [];
    const set = new CircuitBreakers({ ...OPTIONS, now: () => clock.now }, (key, from, to) =>
      transitions.push(`${key.provider}|${key.route}|${key.model}: ${from} → ${to}`),
    );
    return { clock, set, transitions };
  }

  test("one breaker per provider × route × model, created lazily", () => {
    const { set } = breakers();
    expect([...set.states()]).toEqual([]);
    const a = set.get("anthropic", "/v1/messages", "claude-sonnet-4-5");
    expect(set.get("anthropic", "/v1/messages", "claude-sonnet-4-5")).toBe(a);
    expect(set.get("anthropic", "/v1/messages", "claude-haiku-4-5")).not.toBe(a);
    expect(set.get("openai", "/v1/messages", "claude-sonnet-4-5")).not.toBe(a);
    expect(set.get("anthropic", "/v1/other", "claude-sonnet-4-5")).not.toBe(a);
    expect([...set.states()].map(([key]) => key)).toEqual([
      "anthropic:/v1/messages:claude-sonnet-4-5",
      "anthropic:/v1/messages:claude-haiku-4-5",
      "openai:/v1/messages:claude-sonnet-4-5",
      "anthropic:/v1/other:claude-sonnet-4-5",
    ]);
  });

  test("one failing model leaves another model on the same route untouched", () => {
    const { set, transitions } = breakers();
    const failing = set.get("anthropic", "/v1/messages", "claude-sonnet-4-5");
    const healthy = set.get("anthropic", "/v1/messages", "claude-haiku-4-5");
    for (let i = 0; i < OPTIONS.failureThreshold; i++) run(failing, true);
    expect(failing.state).toBe("open");
    expect(healthy.state).toBe("closed");
    expect(healthy.tryAcquire().ok).toBe(true);
    expect(transitions).toEqual(["anthropic|/v1/messages|claude-sonnet-4-5: closed → open"]);
  });

  test("transitions are reported with their key, including the lazy half-open", () => {
    const { clock, set, transitions } = breakers();
    const breaker = set.get("openai", "/v1/chat/completions", "gpt-5");
    for (let i = 0; i < OPTIONS.failureThreshold; i++) run(breaker, true);
    clock.now += OPTIONS.timeoutMs;
    expect(breaker.state).toBe("half-open");
    expect(transitions).toEqual([
      "openai|/v1/chat/completions|gpt-5: closed → open",
      "openai|/v1/chat/completions|gpt-5: open → half-open",
    ]);
  });
});

describe("CircuitBreakers: bounded (SPEC §13)", () => {
  const ROUTE = "/v1/messages";
  function bounded(capacity: number) {
    const clock = { now: 0 };
    const set = new CircuitBreakers({ ...OPTIONS, now: () => clock.now }, undefined, capacity);
    const get = (model: string) => set.get("anthropic", ROUTE, model);
    const kept = () => [...set.states()].map(([key]) => key.slice(`anthropic:${ROUTE}:`.length)).sort();
    return { clock, set, get, kept };
  }

  test("at most 10 000 per process by default, whatever model names arrive", () => {
    expect(MAX_BREAKERS).toBe(10_000);
    const set = new CircuitBreakers(OPTIONS);
    // A failure each, so that every breaker has something to keep.
    for (let i = 0; i < 30_000; i++) run(set.get("openai", "/v1/chat/completions", `model-${i}`), true);
    expect(set.size).toBe(10_000);
    // The most recent names are the ones kept.
    const recent = set.get("openai", "/v1/chat/completions", "model-29999");
    expect(set.get("openai", "/v1/chat/completions", "model-29999")).toBe(recent);
  });

  test("a breaker that knows nothing a new one would not is forgotten when its last request ends", () => {
    const { get, set, kept } = bounded(10);
    for (let i = 0; i < 1000; i++) run(get(`ok-${i}`), false);
    expect(set.size).toBe(0);
    const busy = admit(get("busy"));
    run(get("busy"), false);
    expect(kept()).toEqual(["busy"]); // a request is still in flight
    busy(false);
    expect(set.size).toBe(0);
    const failing = get("failing");
    run(failing, true);
    expect(get("failing")).toBe(failing); // one failure counted: kept
    run(failing, true);
    run(failing, false); // a success resets the count: nothing left to keep
    expect(set.size).toBe(0);
    expect(get("failing")).not.toBe(failing);
  });

  test("an idle closed breaker is evicted first; one used since the last scan gets a second chance", () => {
    const { get, kept } = bounded(3);
    const a = get("a");
    get("b");
    get("c");
    expect(get("a")).toBe(a); // used again: b, then c are older in use
    get("d");
    expect(kept()).toEqual(["a", "c", "d"]);
    get("e");
    expect(kept()).toEqual(["a", "d", "e"]);
  });

  test("open and half-open breakers are kept until they close; busy closed ones go before them", () => {
    const { clock, get, kept } = bounded(3);
    tripOpen(get("open"));
    const half = get("half");
    tripOpen(half);
    clock.now += OPTIONS.timeoutMs;
    expect(half.state).toBe("half-open");
    const busy = admit(get("busy"));
    get("new-1");
    expect(kept()).toEqual(["half", "new-1", "open"]);
    busy(true); // a request of the dropped breaker ends: nothing breaks
    expect(get("busy").state).toBe("closed");
    expect(kept()).toEqual(["busy", "half", "open"]);
    // The half-open one closes after its probes succeed: from then on it may go.
    run(half, false);
    run(half, false);
    expect(half.state).toBe("closed");
    get("new-2");
    get("new-3");
    expect(kept()).toEqual(["new-2", "new-3", "open"]);
    // Still the tripped one (its timeout has passed meanwhile), not a fresh closed one.
    expect(get("open").state).toBe("half-open");
  });

  test("when every kept breaker is open, a new model gets a breaker that is not kept", () => {
    const { get, kept, set } = bounded(2);
    const x = get("x");
    const y = get("y");
    tripOpen(x);
    tripOpen(y);
    const fresh = get("fresh");
    expect(fresh.tryAcquire().ok).toBe(true);
    expect(get("fresh")).not.toBe(fresh);
    expect(set.size).toBe(2);
    expect(kept()).toEqual(["x", "y"]);
    expect(get("x").tryAcquire().ok).toBe(false);
  });

  test("randomized: the bound always holds and open breakers are never dropped", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const { clock, get, set } = bounded(50);
    const open = new Set<CircuitBreaker>();
    const pending: ((failure: boolean) => void)[] = [];
    for (let step = 0; step < 20_000; step++) {
      const breaker = get(`m${Math.floor(random() * 200)}`);
      const permit = breaker.tryAcquire();
      if (permit.ok) {
        if (random() < 0.3) pending.push((f) => permit.done(f));
        else permit.done(random() < 0.2);
      }
      if (random() < 0.2 && pending.length > 0)
        pending.splice(Math.floor(random() * pending.length), 1)[0]!(random() < 0.5);
      clock.now += random() * 1000;
      for (const [, b] of set.states()) if (b.state !== "closed") open.add(b);
      const keptNow = new Set([...set.states()].map(([, b]) => b));
      for (const b of open) {
        if (b.state === "closed") open.delete(b);
        else expect(keptNow.has(b)).toBe(true);
      }
      expect(set.size).toBeLessThanOrEqual(50);
    }
  });
});
