import { describe, expect, test } from "bun:test";

import {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  CircuitBreakers,
  isFailureStatus,
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
