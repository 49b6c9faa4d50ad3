import { describe, expect, test } from "bun:test";

import { authenticationHook } from "../../src/auth/data-plane-auth-hook";
import type { IdentityResolver } from "../../src/auth/identity";
import { CircuitBreakers } from "../../src/bridge/circuit-breaker";
import { circuitBreakerHook } from "../../src/bridge/circuit-breaker-hook";
import { Flight } from "../../src/bridge/flight";
import type { InterceptionLog } from "../../src/bridge/interception-log";
import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { openaiProvider } from "../../src/bridge/providers/openai";
import { routeHook } from "../../src/bridge/route-hook";
import { silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { ConcurrencyLimiter } from "../../src/overload/concurrency";
import { concurrencyHook } from "../../src/overload/concurrency-hook";
import { rateLimitHook } from "../../src/overload/rate-limit-hook";
import { RateLimiter } from "../../src/overload/rate-limiter";

const AIB = "abcdefghij-0123456789012345678901";
const openai = openaiProvider({ baseUrl: "http://up/v1/", key: "sk-conf-0123456789" });

function flightFor(provider = openai, path = "/v1/chat/completions") {
  const flight = new Flight();
  flight.provider = provider;
  flight.providerName = provider.name;
  flight.path = path;
  return flight;
}

const request = (headers: Record<string, string> = {}, body?: string, method = "POST") =>
  new Request("http://gw/x", { method, headers, body });

describe("concurrency hook", () => {
  test("takes a slot or answers the SPEC 503", async () => {
    const limiter = new ConcurrencyLimiter(1);
    const metrics = createMetrics();
    const hook = concurrencyHook(limiter, metrics);
    const a = flightFor();
    expect(hook({ flight: a })).toBeUndefined();
    const refused = hook({ flight: flightFor() })!;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      message: "AI Bridge is currently at capacity. Please try again later.",
    });
    a.releaseSlot();
    expect(limiter.inFlight).toBe(0);
    expect(metrics.concurrencyRejectsTotal.get()).toBe(1);
  });
});

describe("rate-limit hook", () => {
  test("counts intercepted routes only, and answers the SPEC 429 with its headers", async () => {
    const now = 1_000_000;
    const hook = rateLimitHook(new RateLimiter({ limit: 1, now: () => now }), createMetrics());
    const ctx = (intercepted: boolean) => ({
      flight: flightFor(),
      request: request({ "x-api-key": AIB }),
      clientIp: () => "1.2.3.4",
      intercepted,
    });
    expect(hook(ctx(false))).toBeUndefined();
    expect(hook(ctx(true))).toBeUndefined();
    const refused = hook(ctx(true))!;
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ message: "You've been rate limited. Please try again later." });
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(rateLimitHook(null, createMetrics())(ctx(true))).toBeUndefined();
  });
});

describe("authentication hook", () => {
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
  const hook = authenticationHook(identities, { logger: silentLogger });

  test("no key / bad key → 401 in the provider's shape; a good key sets the identity", async () => {
    const anthropic = flightFor(anthropicProvider({ baseUrl: "http://up/", key: "" }), "/v1/messages");
    const missing = (await hook({ flight: anthropic, request: request() }))!;
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.type).toBe("authentication_error");
    expect(
      (await hook({ flight: flightFor(), request: request({ authorization: "Bearer nope" }) }))!.status,
    ).toBe(401);
    const ok = flightFor();
    expect(await hook({ flight: ok, request: request({ authorization: `Bearer ${AIB}` }) })).toBeUndefined();
    expect(ok.identity?.username).toBe("alice");
    expect(ok.callerKey?.source).toBe("authorization");
  });
  test("a database failure while verifying is a 503, not a 500", async () => {
    expect((await hook({ flight: flightFor(), request: request({ "x-api-key": "db-down" }) }))!.status).toBe(
      503,
    );
  });
});

describe("route hook", () => {
  const hook = routeHook({ allowByok: true });
  const authed = (path: string, headers: Record<string, string> = { authorization: `Bearer ${AIB}` }) => {
    const f = flightFor(openai, path);
    f.callerKey = { key: AIB, source: "authorization" };
    return { flight: f, headers };
  };

  test("404, 405, passthrough and intercepted with facts and client", async () => {
    const a = authed("/v1/nope");
    expect(
      (await hook({
        flight: a.flight,
        request: request(a.headers),
        match: openai.match("POST", "/v1/nope"),
      }))!.status,
    ).toBe(404);
    const b = authed("/v1/chat/completions");
    const method = (await hook({
      flight: b.flight,
      request: request(a.headers, undefined, "GET"),
      match: openai.match("GET", "/v1/chat/completions"),
    }))!;
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
    const c = authed("/v1/models");
    expect(
      await hook({
        flight: c.flight,
        request: request(c.headers, undefined, "GET"),
        match: openai.match("GET", "/v1/models"),
      }),
    ).toBeUndefined();
    expect(c.flight.route?.kind).toBe("passthrough");
    const d = authed("/v1/chat/completions");
    const body = JSON.stringify({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    expect(
      await hook({
        flight: d.flight,
        request: request({ ...d.headers, "user-agent": "codex_cli_rs/1" }, body),
        match: openai.match("POST", "/v1/chat/completions"),
      }),
    ).toBeUndefined();
    expect(d.flight.facts).toEqual({
      model: "gpt-4o",
      stream: true,
      prompt: "q",
      correlationToolCallId: null,
    });
    expect(d.flight.client?.client).toBe("Codex");
    expect(d.flight.credential?.kind).toBe("centralized");
  });
  test("unknown provider → {message}", async () => {
    const f = new Flight();
    f.providerName = "gemini";
    const res = (await hook({ flight: f, request: request(), match: null }))!;
    expect(await res.json()).toEqual({ message: "unknown provider gemini" });
  });
});

describe("circuit-breaker hook", () => {
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
    const log = {
      async start() {},
      finish(_f: Flight, outcome: { status: number }) {
        recorded.push(outcome.status);
      },
    } as unknown as InterceptionLog;
    const hook = circuitBreakerHook(breakers, log, createMetrics(), silentLogger);
    const make = () => {
      const f = flightFor();
      const match = openai.match("POST", "/v1/chat/completions");
      if (match.kind !== "intercepted") throw new Error("chat completions must be intercepted");
      f.route = match;
      f.facts = { model: "m", stream: false, prompt: null, correlationToolCallId: null };
      return f;
    };
    const first = make();
    expect(await hook({ flight: first, request: request() })).toBeUndefined();
    first.breakerPermit!.done(true);
    now = 1000;
    const refused = (await hook({ flight: make(), request: request() }))!;
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("4");
    expect((await refused.json()).error).toEqual({
      message: "circuit breaker is open",
      type: "server_error",
      code: "service_unavailable",
    });
    expect(recorded).toEqual([503]);
    expect(
      await circuitBreakerHook(
        null,
        log,
        createMetrics(),
        silentLogger,
      )({ flight: make(), request: request() }),
    ).toBeUndefined();
  });
});
