import { describe, expect, test } from "bun:test";

import { extractCallerKey } from "../../src/auth/caller-key";
import { decideCredential } from "../../src/bridge/credentials";
import { clientResponseHeaders, upstreamHeaders } from "../../src/bridge/headers";
import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { openaiProvider } from "../../src/bridge/providers/openai";

const openai = openaiProvider({ baseUrl: "https://api.openai.com/v1/", key: "sk-central-openai-0123456789" });
const anthropic = anthropicProvider({
  baseUrl: "https://api.anthropic.com/",
  key: "sk-ant-central-0123456789",
});
const AIB = "abcdefghij-0123456789012345678901";

describe("caller key order: X-Coder-Token > Authorization: Bearer > X-Api-Key", () => {
  test.each([
    [
      { "x-coder-token": "A", authorization: "Bearer B", "x-api-key": "C" },
      { key: "A", source: "coder-token" },
    ],
    [
      { authorization: "Bearer B", "x-api-key": "C" },
      { key: "B", source: "authorization" },
    ],
    [{ authorization: "bEaReR   B2 " }, { key: "B2", source: "authorization" }],
    [
      { authorization: "Basic Zm9v", "x-api-key": "C" },
      { key: "C", source: "x-api-key" },
    ],
    [{ "x-api-key": "C" }, { key: "C", source: "x-api-key" }],
    [
      { "x-coder-token": "  ", "x-api-key": "C" },
      { key: "C", source: "x-api-key" },
    ],
    [{}, null],
    [{ authorization: "Bearer " }, null],
  ])("%p", (headers, expected) => {
    expect(extractCallerKey(new Headers(headers as Record<string, string>))).toEqual(expected as never);
  });
});

describe("credential decision", () => {
  const decide = (headers: Record<string, string>, provider = openai, allowByok = true) =>
    decideCredential(extractCallerKey(new Headers(headers))!, new Headers(headers), provider, allowByok);

  test("centralized: key from Authorization or X-Api-Key", () => {
    expect(decide({ authorization: `Bearer ${AIB}` })).toEqual({
      ok: true,
      plan: { mode: "centralized", key: openai.configuredKey },
      kind: "centralized",
      hint: "sk-c...6789",
    });
    expect(decide({ "x-api-key": AIB }, anthropic)).toMatchObject({
      kind: "centralized",
      plan: { mode: "centralized" },
    });
  });
  test("BYOK: X-Coder-Token with the client's own credential", () => {
    expect(decide({ "x-coder-token": AIB, authorization: "Bearer sk-mine-abcdefghijklmnop" })).toEqual({
      ok: true,
      plan: { mode: "byok" },
      kind: "byok",
      hint: "sk-m...mnop",
    });
    expect(decide({ "x-coder-token": AIB, "x-api-key": "sk-ant-mine-1234567890" }, anthropic)).toMatchObject({
      kind: "byok",
      hint: "sk-a...7890",
    });
  });
  test("X-Coder-Token alone uses the configured key but is centralized", () => {
    expect(decide({ "x-coder-token": AIB })).toMatchObject({
      kind: "centralized",
      plan: { mode: "coder-token" },
    });
  });
  test("BYOK disabled → 403; nothing configured and nothing sent → 502 naming the option", () => {
    expect(decide({ "x-coder-token": AIB, authorization: "Bearer sk-mine" }, openai, false)).toMatchObject({
      ok: false,
      status: 403,
    });
    const none = openaiProvider({ baseUrl: "https://x/v1/", key: "" });
    const result = decide({ authorization: `Bearer ${AIB}` }, none);
    expect(result).toMatchObject({ ok: false, status: 502 });
    expect(!result.ok && result.message).toContain("--aibridge-openai-key");
  });
});

describe("upstream headers", () => {
  const client = new Headers({
    host: "gateway:3000",
    "content-length": "10",
    "accept-encoding": "gzip",
    connection: "keep-alive, x-hop",
    "x-hop": "1",
    "keep-alive": "timeout=5",
    "transfer-encoding": "chunked",
    "x-coder-token": AIB,
    authorization: "Bearer sk-client",
    "x-api-key": "sk-client-2",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "prompt-caching-2024-07-31",
    "user-agent": "claude-cli/2.0",
    "openai-beta": "assistants=v2",
  });
  test("BYOK forwards the client's credentials untouched and drops hop-by-hop and aibridge headers", () => {
    const out = upstreamHeaders(client, {
      credential: { mode: "byok" },
      callerKey: AIB,
      setKey: anthropic.setKey,
    });
    expect(Object.fromEntries(out)).toEqual({
      authorization: "Bearer sk-client",
      "x-api-key": "sk-client-2",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "prompt-caching-2024-07-31",
      "user-agent": "claude-cli/2.0",
      "openai-beta": "assistants=v2",
    });
  });
  test("centralized replaces both auth headers with the provider's configured key", () => {
    const o = upstreamHeaders(client, {
      credential: { mode: "centralized", key: "sk-conf" },
      callerKey: AIB,
      setKey: openai.setKey,
    });
    expect(o.get("authorization")).toBe("Bearer sk-conf");
    expect(o.has("x-api-key")).toBe(false);
    const a = upstreamHeaders(client, {
      credential: { mode: "centralized", key: "sk-conf" },
      callerKey: AIB,
      setKey: anthropic.setKey,
    });
    expect(a.get("x-api-key")).toBe("sk-conf");
    expect(a.has("authorization")).toBe(false);
    expect(a.has("x-coder-token")).toBe(false);
  });
  test("actor headers only when asked", () => {
    const o = upstreamHeaders(new Headers(), {
      credential: { mode: "coder-token", key: "k" },
      callerKey: AIB,
      setKey: openai.setKey,
      actor: { id: "u-1", username: "alice" },
    });
    expect(o.get("x-ai-bridge-actor-id")).toBe("u-1");
    expect(o.get("x-ai-bridge-actor-metadata-username")).toBe("alice");
    expect(o.get("authorization")).toBe("Bearer k");
  });
  test("actor headers a client sends never go upstream: absent when off, the gateway's own when on", () => {
    const spoofed = new Headers({
      "x-ai-bridge-actor-id": "someone-else",
      "X-AI-Bridge-Actor-Metadata-Username": "admin",
      "x-ai-bridge-actor-metadata-email": "boss@example.com",
    });
    const options = {
      credential: { mode: "coder-token", key: "k" } as const,
      callerKey: AIB,
      setKey: openai.setKey,
    };
    const off = upstreamHeaders(spoofed, options);
    expect([...off.keys()].filter((name) => name.startsWith("x-ai-bridge-actor-"))).toEqual([]);
    const on = upstreamHeaders(spoofed, { ...options, actor: { id: "u-1", username: "alice" } });
    expect([...on.entries()].filter(([name]) => name.startsWith("x-ai-bridge-actor-"))).toEqual([
      ["x-ai-bridge-actor-id", "u-1"],
      ["x-ai-bridge-actor-metadata-username", "alice"],
    ]);
  });
  test("a Connection header listing malformed or empty names drops the valid ones and never throws", () => {
    const out = upstreamHeaders(
      new Headers({
        connection: 'x-hop, , not a name, x-Other ,"q"',
        "x-hop": "1",
        "x-other": "2",
        "x-kept": "3",
      }),
      { credential: { mode: "byok" }, callerKey: AIB, setKey: anthropic.setKey },
    );
    expect(Object.fromEntries(out)).toEqual({ "x-kept": "3" });
  });
  test("a decoded upstream body loses its Content-Encoding and length", () => {
    const out = clientResponseHeaders(
      new Headers({
        "content-encoding": "gzip",
        "content-length": "99",
        "content-type": "application/json",
        "retry-after": "3",
        connection: "close",
      }),
    );
    expect(Object.fromEntries(out)).toEqual({ "content-type": "application/json", "retry-after": "3" });
    expect(clientResponseHeaders(new Headers({ "content-length": "5" })).get("content-length")).toBe("5");
  });
});

describe("routes and upstream URLs (SPEC §4.1)", () => {
  test("OpenAI", () => {
    expect(openai.match("POST", "/v1/chat/completions").kind).toBe("intercepted");
    expect(openai.match("POST", "/v1/responses").kind).toBe("intercepted");
    expect(openai.match("GET", "/v1/chat/completions")).toEqual({
      kind: "method-not-allowed",
      allow: "POST",
    });
    for (const p of [
      "/v1/models",
      "/v1/models/gpt-4o",
      "/v1/responses/resp_1",
      "/v1/responses/resp_1/input_items",
      "/v1/conversations",
      "/v1/conversations/c/items",
    ]) {
      expect(openai.match("GET", p).kind).toBe("passthrough");
    }
    for (const p of ["/v1/embeddings", "/v1/completions", "/v2/chat/completions", "/v1/modelsx", "/"]) {
      expect(openai.match("POST", p).kind).toBe("not-found");
    }
    expect(openai.upstreamUrl("/v1/chat/completions", "?a=1")).toBe(
      "https://api.openai.com/v1/chat/completions?a=1",
    );
    const prefixed = openaiProvider({ baseUrl: "http://h:1/api/openai/v1", key: "" });
    expect(prefixed.upstreamUrl("/v1/models", "")).toBe("http://h:1/api/openai/v1/models");
  });
  test("Anthropic", () => {
    expect(anthropic.match("POST", "/v1/messages").kind).toBe("intercepted");
    expect(anthropic.match("PUT", "/v1/messages").kind).toBe("method-not-allowed");
    for (const p of [
      "/v1/models",
      "/v1/models/claude-x",
      "/v1/messages/count_tokens",
      "/api/event_logging/batch",
    ]) {
      expect(anthropic.match("POST", p).kind).toBe("passthrough");
    }
    for (const p of ["/v1/complete", "/v1/messages/batches", "/api/event_logging"]) {
      expect(anthropic.match("POST", p).kind).toBe("not-found");
    }
    expect(anthropic.upstreamUrl("/v1/messages", "?beta=true")).toBe(
      "https://api.anthropic.com/v1/messages?beta=true",
    );
    const prefixed = anthropicProvider({ baseUrl: "http://h/api", key: "" });
    expect(prefixed.upstreamUrl("/v1/messages", "")).toBe("http://h/api/v1/messages");
  });
  test("error shapes", () => {
    expect(anthropic.errorBody("overloaded", "circuit breaker is open")).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "circuit breaker is open" },
    });
    expect(openai.errorBody("overloaded", "circuit breaker is open")).toEqual({
      error: { message: "circuit breaker is open", type: "server_error", code: "service_unavailable" },
    });
  });
});
