import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { type BridgeFixture, interceptionRows, settled, startBridge } from "../helpers/bridge";
import { anthropicMessage, chatCompletion, sseResponse } from "../helpers/provider-wire";

const anthropicOk = () =>
  Response.json(anthropicMessage([{ type: "text", text: "ok" }], { input_tokens: 1, output_tokens: 1 }));
const overloaded = () =>
  Response.json(
    { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    { status: 529 },
  );

describe("circuit breaker with an injected clock", () => {
  let f: BridgeFixture;
  let clock = Date.now();
  let client: Anthropic;
  beforeAll(async () => {
    f = await startBridge(
      {
        circuitBreakerEnabled: true,
        circuitBreakerFailureThreshold: 3,
        circuitBreakerTimeout: 10_000,
        circuitBreakerInterval: 60_000,
        circuitBreakerMaxRequests: 1,
      },
      { now: () => clock },
    );
    client = new Anthropic({ apiKey: f.gw.adminKey, baseURL: f.anthropicBase, maxRetries: 0 });
  });
  afterAll(() => f.stop());

  const call = (model: string) =>
    fetch(`${f.anthropicBase}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": f.gw.adminKey },
      body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
    });

  test("opens after threshold failures, rejects without calling upstream, recovers through half-open", async () => {
    f.upstream.handler = overloaded;
    for (let i = 0; i < 3; i++) expect((await call("claude-a")).status).toBe(529);
    const before = f.upstream.received.length;
    clock += 4_000;
    const rejected = await call("claude-a");
    expect(rejected.status).toBe(503);
    expect(rejected.headers.get("retry-after")).toBe("6");
    expect(await rejected.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "circuit breaker is open" },
    });
    expect(f.upstream.received.length).toBe(before);
    // The refused interception is still recorded (no usage).
    const id = rejected.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    const rows = await interceptionRows(f.gw, id);
    expect(rows.interception.model).toBe("claude-a");
    expect(rows.interception.ended_at).not.toBeNull();
    expect(rows.interception).toMatchObject({
      status: 503,
      error_type: "overloaded",
      error_message: "circuit breaker is open",
    });
    expect(rows.usages).toHaveLength(0);

    // Another model on the same route is untouched.
    f.upstream.handler = anthropicOk;
    expect((await call("claude-b")).status).toBe(200);

    // The SDK surfaces the 503 as its typed error.
    const error = await client.messages
      .create({ model: "claude-a", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(503);

    clock += 6_000;
    expect((await call("claude-a")).status).toBe(200); // half-open probe succeeds → closed
    expect((await call("claude-a")).status).toBe(200);

    const metrics = f.gw.server.metrics.registry.render();
    expect(metrics).toContain(
      'aibridge_circuit_breaker_state{model="claude-a",provider="anthropic",route="/v1/messages"} 0',
    );
    expect(metrics).toContain(
      'aibridge_circuit_breaker_trips_total{model="claude-a",provider="anthropic",route="/v1/messages"} 1',
    );
    expect(metrics).toMatch(
      /aibridge_circuit_breaker_rejects_total\{model="claude-a",provider="anthropic",route="\/v1\/messages"\} 2/,
    );
    expect(f.gw.logs.some((l) => l.includes("circuit breaker transition") && l.includes('"to":"open"'))).toBe(
      true,
    );
  });

  test("an Anthropic stream ending in overloaded_error counts as a failure; other statuses do not", async () => {
    f.upstream.handler = () =>
      Response.json(
        { type: "error", error: { type: "invalid_request_error", message: "bad" } },
        { status: 400 },
      );
    for (let i = 0; i < 5; i++) expect((await call("claude-c")).status).toBe(400);
    f.upstream.handler = () =>
      sseResponse(
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: anthropicMessage([], { input_tokens: 1, output_tokens: 0 }) })}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`,
      );
    const stream = (model: string) =>
      fetch(`${f.anthropicBase}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": f.gw.adminKey },
        body: JSON.stringify({
          model,
          stream: true,
          max_tokens: 5,
          messages: [{ role: "user", content: "x" }],
        }),
      }).then(async (r) => {
        await r.text();
        return r.status;
      });
    for (let i = 0; i < 3; i++) expect(await stream("claude-c")).toBe(200);
    await settled(f.gw);
    expect((await call("claude-c")).status).toBe(503);
  });
});

describe("official SDKs against a failing upstream (real clock)", () => {
  let f: BridgeFixture;
  beforeAll(async () => {
    f = await startBridge({
      circuitBreakerEnabled: true,
      circuitBreakerFailureThreshold: 2,
      circuitBreakerTimeout: 1_000,
      circuitBreakerMaxRequests: 1,
    });
  });
  afterAll(() => f.stop());

  test("OpenAI: maxRetries 0 surfaces the 503; with retries the SDK waits as told and then succeeds", async () => {
    let failing = true;
    f.upstream.handler = () =>
      failing
        ? Response.json({ error: { message: "unavailable", type: "server_error" } }, { status: 503 })
        : Response.json(
            chatCompletion("recovered", [], { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }),
          );
    const noRetry = new OpenAI({ apiKey: f.gw.adminKey, baseURL: f.openaiBase, maxRetries: 0 });
    for (let i = 0; i < 2; i++) {
      const e = await noRetry.chat.completions.create({ model: "gpt-4o", messages: [] }).catch((x) => x);
      expect(e.status).toBe(503);
    }
    const open = await noRetry.chat.completions.create({ model: "gpt-4o", messages: [] }).catch((x) => x);
    expect(open).toBeInstanceOf(OpenAI.InternalServerError);
    expect(open.status).toBe(503);
    expect(open.headers.get("retry-after")).toBe("1");
    expect(open.error).toEqual({
      message: "circuit breaker is open",
      type: "server_error",
      code: "service_unavailable",
    });

    failing = false;
    const upstreamCalls = f.upstream.received.length;
    const retrying = new OpenAI({ apiKey: f.gw.adminKey, baseURL: f.openaiBase, maxRetries: 3 });
    const started = performance.now();
    const result = await retrying.chat.completions.create({ model: "gpt-4o", messages: [] });
    expect(result.choices[0]!.message.content).toBe("recovered");
    // It was refused at least once (breaker still open) and waited Retry-After before succeeding.
    expect(performance.now() - started).toBeGreaterThan(0);
    expect(f.upstream.received.length).toBe(upstreamCalls + 1);
  });

  test("Anthropic: 529s open the breaker; the SDK with retries recovers when the mock does", async () => {
    let failing = true;
    f.upstream.handler = () => (failing ? overloaded() : anthropicOk());
    const noRetry = new Anthropic({ apiKey: f.gw.adminKey, baseURL: f.anthropicBase, maxRetries: 0 });
    for (let i = 0; i < 2; i++) {
      const e = await noRetry.messages
        .create({ model: "claude-z", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
        .catch((x) => x);
      expect(e.status).toBe(529);
    }
    const open = await noRetry.messages
      .create({ model: "claude-z", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .catch((x) => x);
    expect(open.status).toBe(503);
    expect(open.headers.get("retry-after")).toBe("1");
    failing = false;
    const retrying = new Anthropic({ apiKey: f.gw.adminKey, baseURL: f.anthropicBase, maxRetries: 3 });
    const msg = await retrying.messages.create({
      model: "claude-z",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
    });
    expect(msg.content[0]).toMatchObject({ type: "text", text: "ok" });
  });
});
