import { describe, expect, test } from "bun:test";

import type { IdentityResolver } from "../../src/auth/identity";
import { CircuitBreakers } from "../../src/bridge/circuit-breaker";
import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { openaiProvider } from "../../src/bridge/providers/openai";
import type { Provider } from "../../src/bridge/providers/types";
import { BODY_LIMITS } from "../../src/bridge/read-body";
import { authenticate } from "../../src/dataplane/authentication";
import { checkBreaker } from "../../src/dataplane/circuit-breaker";
import { takeSlot } from "../../src/dataplane/concurrency";
import { DataPlaneError, dataPlaneErrorResponse } from "../../src/dataplane/errors";
import { Flight, flightOf } from "../../src/dataplane/flight";
import type { InterceptionLog } from "../../src/dataplane/interception-log";
import { endFlight, owned } from "../../src/dataplane/lifecycle";
import { checkRateLimit } from "../../src/dataplane/rate-limit";
import { addResponseHeaders } from "../../src/dataplane/response-headers";
import { checkRoute } from "../../src/dataplane/route";
import { callUpstream } from "../../src/dataplane/upstream";
import { silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { ConcurrencyLimiter } from "../../src/overload/concurrency";
import { RateLimiter } from "../../src/overload/rate-limiter";

const AIB = "abcdefghij-0123456789012345678901";
const openai = openaiProvider({ baseUrl: "http://up/v1/", key: "sk-conf-0123456789" });
const anthropic = anthropicProvider({ baseUrl: "http://up/", key: "" });

function flightFor(provider: Provider = openai, path = "/v1/chat/completions", method = "POST") {
  const flight = new Flight();
  flight.provider = provider;
  flight.providerName = provider.name;
  flight.path = path;
  flight.match = provider.match(method, path);
  return flight;
}

const request = (headers: Record<string, string> = {}, body?: string, method = "POST") =>
  new Request("http://gw/x", { method, headers, body });

/** The refusal a step throws, as the `onError` step answers it. */
async function refusal(flight: Flight | undefined, step: () => unknown): Promise<Response> {
  try {
    await step();
  } catch (error) {
    expect(error).toBeInstanceOf(DataPlaneError);
    return dataPlaneErrorResponse(flight, error, silentLogger);
  }
  throw new Error("the step did not refuse");
}

describe("the per-request context", () => {
  const providers = new Map<string, Provider>([["openai", openai]]);
  test("provider, path and query from the raw URL; other paths have none", () => {
    const f = flightOf(new Request("http://gw/api/v2/aibridge/openai/v1/models/a%2Fb?x=1"), providers, true)!;
    expect([f.providerName, f.path, f.search, f.match?.kind]).toEqual([
      "openai",
      "/v1/models/a%2Fb",
      "?x=1",
      "passthrough",
    ]);
    expect(f.intercepted).toBe(false);
    expect(
      flightOf(
        new Request("http://gw/api/v2/aibridge/openai/v1/chat/completions", { method: "POST" }),
        providers,
        true,
      )?.intercepted,
    ).toBe(true);
    expect(flightOf(new Request("http://gw/api/v2/aibridge/interceptions"), providers, true)).toBeNull();
    expect(flightOf(new Request("http://gw/api/v2/users/me"), providers, false)).toBeNull();
    expect(flightOf(new Request("http://gw/api/v2/aibridgeX/openai/v1"), providers, false)).toBeNull();
    const unknown = flightOf(new Request("http://gw/api/v2/aibridge/gemini/v1/x"), providers, false)!;
    expect([unknown.providerName, unknown.provider, unknown.match]).toEqual(["gemini", undefined, null]);
  });
});

describe("concurrency step", () => {
  test("takes a slot or answers the SPEC 503", async () => {
    const limiter = new ConcurrencyLimiter(1);
    const metrics = createMetrics();
    const a = flightFor();
    expect(takeSlot(a, limiter, metrics)).toBeUndefined();
    const refused = takeSlot(flightFor(), limiter, metrics)!;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      message: "AI Bridge is currently at capacity. Please try again later.",
    });
    a.releaseSlot();
    expect(limiter.inFlight).toBe(0);
    expect(metrics.concurrencyRejectsTotal.get()).toBe(1);
  });
});

describe("rate-limit step", () => {
  test("counts intercepted routes only, answers the SPEC 429 with its headers and frees the slot", async () => {
    const now = 1_000_000;
    const limiter = new RateLimiter({ limit: 1, now: () => now });
    const slots = new ConcurrencyLimiter(0);
    const check = (flight: Flight) => {
      flight.slot = slots.tryAcquire();
      return checkRateLimit(flight, request({ "x-api-key": AIB }), () => "1.2.3.4", limiter, createMetrics());
    };
    expect(check(flightFor(openai, "/v1/models", "GET"))).toBeUndefined();
    expect(check(flightFor())).toBeUndefined();
    const inFlight = slots.inFlight;
    const refused = check(flightFor()) as Response;
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ message: "You've been rate limited. Please try again later." });
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(slots.inFlight).toBe(inFlight);
  });
});

describe("rate-limit step with a shared (asynchronous) limiter", () => {
  test("the same answers, under the limiter's own budget key, and a refusal frees the slot", async () => {
    const keys: string[] = [];
    let allowed = true;
    const shared = {
      keyOf: () => "shared-key",
      check: (key: string) => {
        keys.push(key);
        return Promise.resolve({
          allowed,
          limit: 7,
          remaining: allowed ? 6 : 0,
          resetAt: 1_700_000_001,
          retryAfterSeconds: allowed ? 0 : 2,
        });
      },
    };
    const metrics = createMetrics();
    const slots = new ConcurrencyLimiter(0);
    const check = (flight: Flight) => {
      flight.slot = slots.tryAcquire();
      return checkRateLimit(flight, request({ "x-api-key": AIB }), () => null, shared, metrics);
    };
    const admitted = flightFor();
    expect(await check(admitted)).toBeUndefined();
    expect(admitted.responseHeaders.get("x-ratelimit-limit")).toBe("7");
    expect(admitted.responseHeaders.get("x-ratelimit-remaining")).toBe("6");
    expect(admitted.responseHeaders.get("x-ratelimit-reset")).toBe("1700000001");
    allowed = false;
    const inFlight = slots.inFlight;
    const refused = (await check(flightFor()))!;
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ message: "You've been rate limited. Please try again later." });
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset")).toBe("1700000001");
    expect(slots.inFlight).toBe(inFlight);
    expect(keys).toEqual(["shared-key", "shared-key"]);
    expect(metrics.rateLimitRejectsTotal.get()).toBe(1);
  });
});

describe("authentication step", () => {
  const identities = {
    async resolve(key: string) {
      if (key === AIB)
        return {
          ok: true as const,
          identity: {
            userId: "u",
            username: "alice",
            name: "",
            role: "member" as const,
            apiKeyId: "abcdefghij",
          },
        };
      if (key === "db-down") throw new Error("connection refused");
      return { ok: false as const, reason: "Invalid API key." };
    },
  } as unknown as IdentityResolver;
  const auth = (flight: Flight, headers: Record<string, string> = {}) =>
    authenticate(flight, request(headers), identities, silentLogger);

  test("no key / bad key → 401 in the provider's shape; a good key sets the identity", async () => {
    const a = flightFor(anthropic, "/v1/messages");
    const missing = await refusal(a, () => auth(a));
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.type).toBe("authentication_error");
    const b = flightFor();
    expect((await refusal(b, () => auth(b, { authorization: "Bearer nope" }))).status).toBe(401);
    const ok = flightFor();
    await auth(ok, { authorization: `Bearer ${AIB}` });
    expect(ok.identity?.username).toBe("alice");
    expect(ok.callerKey?.source).toBe("authorization");
  });
  test("a database failure while verifying is a 503, not a 500", async () => {
    const f = flightFor();
    expect((await refusal(f, () => auth(f, { "x-api-key": "db-down" }))).status).toBe(503);
  });
});

describe("route step", () => {
  const options = { allowByok: true, bodyLimits: BODY_LIMITS };
  const authed = (path: string, method = "POST") => {
    const f = flightFor(openai, path, method);
    f.callerKey = { key: AIB, source: "authorization" };
    return f;
  };
  const headers = { authorization: `Bearer ${AIB}` };

  test("404, 405, passthrough and intercepted with facts and client", async () => {
    const a = authed("/v1/nope");
    expect((await refusal(a, () => checkRoute(a, request(headers), options))).status).toBe(404);
    const b = authed("/v1/chat/completions", "GET");
    const method = await refusal(b, () => checkRoute(b, request(headers, undefined, "GET"), options));
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
    const c = authed("/v1/models", "GET");
    expect(await checkRoute(c, request(headers, undefined, "GET"), options)).toBeUndefined();
    expect(c.route?.kind).toBe("passthrough");
    const d = authed("/v1/chat/completions");
    const body = JSON.stringify({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    expect(
      await checkRoute(d, request({ ...headers, "user-agent": "codex_cli_rs/1" }, body), options),
    ).toBeUndefined();
    expect(d.facts).toEqual({ model: "gpt-4o", stream: true, prompt: "q", correlationToolCallId: null });
    expect(d.client?.client).toBe("Codex");
    expect(d.credential?.kind).toBe("centralized");
  });
  test("bad JSON → 400; a background Responses request → the SPEC 501", async () => {
    const a = authed("/v1/chat/completions");
    expect((await refusal(a, () => checkRoute(a, request(headers, "{"), options))).status).toBe(400);
    const b = authed("/v1/responses");
    const background = (await checkRoute(
      b,
      request(headers, '{"model":"m","input":"x","background":true}'),
      options,
    ))!;
    expect(background.status).toBe(501);
  });
  test("unknown provider → {message}", async () => {
    const f = new Flight();
    f.providerName = "gemini";
    const res = await refusal(f, () => checkRoute(f, request(), options));
    expect(await res.json()).toEqual({ message: "unknown provider gemini" });
  });
});

describe("circuit-breaker step", () => {
  test("admits while closed, rejects while open with Retry-After and records the refusal", async () => {
    let now = 0;
    const breakers = new CircuitBreakers({
      failureThreshold: 1,
      intervalMs: 0,
      timeoutMs: 5000,
      maxRequests: 1,
      now: () => now,
    });
    const recorded: number[] = [];
    const interceptions = {
      async start() {},
      finish(_f: Flight, outcome: { status: number }) {
        recorded.push(outcome.status);
      },
    } as unknown as InterceptionLog;
    const deps = { breakers, interceptions, metrics: createMetrics(), logger: silentLogger };
    const make = () => {
      const f = flightFor();
      const match = f.match!;
      if (match.kind !== "intercepted") throw new Error("chat completions must be intercepted");
      f.route = match;
      f.facts = { model: "m", stream: false, prompt: null, correlationToolCallId: null };
      return f;
    };
    const first = make();
    await checkBreaker(first, request(), deps);
    first.breakerPermit!.done(true);
    now = 1000;
    const second = make();
    const refused = await refusal(second, () => checkBreaker(second, request(), deps));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("4");
    expect((await refused.json()).error).toEqual({
      message: "circuit breaker is open",
      type: "server_error",
      code: "service_unavailable",
    });
    expect(recorded).toEqual([503]);
  });
});

describe("response headers step", () => {
  test("the flight's headers and, once forwarded, Server-Timing", () => {
    const f = flightFor();
    f.responseHeaders.set("x-aibridge-interception-id", "i");
    const refused = new Response("{}", { status: 401 });
    addResponseHeaders(f, refused);
    expect(refused.headers.get("x-aibridge-interception-id")).toBe("i");
    expect(refused.headers.has("server-timing")).toBe(false);
    f.upstreamMs = 12.5;
    const answered = new Response("{}", { headers: { "x-upstream": "1" } });
    addResponseHeaders(f, answered);
    expect(answered.headers.get("server-timing")).toMatch(/^gateway;dur=\d+\.\d\d, upstream;dur=12\.50$/);
    expect(answered.headers.get("x-upstream")).toBe("1");
  });
});

describe("errors step", () => {
  test("anything not a refusal is a provider-shaped 500 that says nothing internal", async () => {
    const res = dataPlaneErrorResponse(
      flightFor(anthropic, "/v1/messages"),
      new Error("secret detail"),
      silentLogger,
    );
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.type).toBe("api_error");
    expect(text).not.toContain("secret");
  });
});

describe("the lifecycle owner (SPEC §13 invariant)", () => {
  const setup = () => {
    const slots = new ConcurrencyLimiter(0);
    const permits: boolean[] = [];
    const finished: { status: number; error?: string }[] = [];
    const interceptions = {
      finish(flight: Flight, outcome: { status: number; error?: string }) {
        flight.interception = undefined;
        finished.push(outcome);
      },
    } as unknown as InterceptionLog;
    const f = flightFor();
    f.slot = slots.tryAcquire();
    let settled = false; // as a real permit: only its first `done` counts
    f.breakerPermit = {
      done: (failure: boolean) => {
        if (!settled) permits.push(failure);
        settled = true;
      },
    };
    f.interception = { id: "i", startedAt: new Date(), startedPerf: 0 };
    return { slots, permits, finished, interceptions, f };
  };

  test("an exception after the start ends the interception and returns the slot and the permit", async () => {
    const { slots, permits, finished, interceptions, f } = setup();
    const thrown = await owned(f, interceptions, async () => {
      f.bodyOwnsEnd = true; // even a body handed over before the throw cannot be the owner any more
      throw new Error("interceptor failed");
    }).catch((e) => e);
    expect(thrown).toBeInstanceOf(Error);
    expect(finished).toEqual([{ status: 500, error: "internal error" }]);
    expect(permits).toEqual([false]);
    expect(slots.inFlight).toBe(0);
  });
  test("a response whose body owns the end keeps everything until the body ends; ending twice does nothing", async () => {
    const { slots, permits, finished, interceptions, f } = setup();
    await owned(f, interceptions, async () => {
      f.bodyOwnsEnd = true;
      return new Response("stream");
    });
    expect([finished.length, permits.length, slots.inFlight]).toEqual([0, 0, 1]);
    endFlight(f, interceptions, { status: 200 });
    endFlight(f, interceptions);
    expect(finished).toEqual([{ status: 200 }]);
    expect([permits.length, slots.inFlight]).toEqual([1, 0]);
  });
});

describe("the upstream call", () => {
  test("a client that left before it (while its interception was committed) aborts it at once", async () => {
    const upstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async () => {
        await Bun.sleep(5_000);
        return new Response("too late");
      },
    });
    try {
      const provider = openaiProvider({
        baseUrl: `http://127.0.0.1:${upstream.port}/v1/`,
        key: "sk-conf-0123456789",
      });
      const flight = flightFor(provider);
      flight.callerKey = { key: AIB, source: "authorization" };
      flight.credential = {
        plan: { mode: "centralized", key: "sk-conf-0123456789" },
        kind: "centralized",
        hint: "",
      };
      const client = new AbortController();
      client.abort();
      const gone = new Request("http://gw/x", { method: "POST", body: "{}", signal: client.signal });
      const started = performance.now();
      const result = await callUpstream(flight, gone, "{}", { sendActorHeaders: false });
      expect(result.ok).toBe(false);
      expect(result.ok ? null : result.cancelled).toBe(true);
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      upstream.stop(true);
    }
  });
});
