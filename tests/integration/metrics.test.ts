import { afterAll, beforeAll, expect, test } from "bun:test";

import { type BridgeFixture, settled, startBridge } from "../helpers/bridge";
import { freePort } from "../helpers/process";
import { chatCompletion } from "../helpers/provider-wire";

let f: BridgeFixture;
let metricsUrl: string;
beforeAll(async () => {
  const port = freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  f = await startBridge({ prometheusAddress: `127.0.0.1:${port}`, rateLimit: 1000, maxConcurrency: 100 });
});
afterAll(() => f.stop());

test("/metrics exports interceptions, tokens, prompts, tools, passthrough, overload and recording series", async () => {
  f.upstream.handler = (r) =>
    r.path.endsWith("/models")
      ? Response.json({ data: [] })
      : Response.json(
          chatCompletion(null, [{ id: "call_1", name: "lookup", arguments: "{}" }], {
            prompt_tokens: 10,
            completion_tokens: 4,
            total_tokens: 14,
            prompt_tokens_details: { cached_tokens: 3 },
          }),
        );
  const res = await fetch(`${f.openaiBase}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${f.gw.adminKey}` },
    body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
  await fetch(`${f.openaiBase}/models`, { headers: { authorization: `Bearer ${f.gw.adminKey}` } });
  await settled(f.gw);
  const scrape = await fetch(metricsUrl);
  expect(scrape.headers.get("content-type")).toContain("text/plain");
  const text = await scrape.text();
  for (const line of [
    'aibridge_interceptions_total{model="gpt-4o",provider="openai",status="200"} 1',
    'aibridge_interceptions_in_flight{provider="openai"} 0',
    'aibridge_interception_duration_seconds_count{provider="openai"} 1',
    'aibridge_tokens_total{model="gpt-4o",provider="openai",type="input"} 7',
    'aibridge_tokens_total{model="gpt-4o",provider="openai",type="cache_read"} 3',
    'aibridge_tokens_total{model="gpt-4o",provider="openai",type="output"} 4',
    'aibridge_prompts_total{model="gpt-4o",provider="openai"} 1',
    'aibridge_tool_selections_total{model="gpt-4o",provider="openai",tool="lookup"} 1',
    'aibridge_passthrough_total{provider="openai",status="200"} 1',
    "aibridge_recording_queue_depth 0",
    "aibridge_data_plane_in_flight 0",
    "# TYPE aibridge_rate_limit_rejects_total counter",
    "# TYPE aibridge_concurrency_rejects_total counter",
    "# TYPE aibridge_recording_failures_total counter",
    "# TYPE aibridge_circuit_breaker_state gauge",
  ]) {
    expect(text).toContain(line);
  }
  expect(text).not.toContain(f.gw.adminKey.slice(11));
  expect((await fetch(metricsUrl.replace("/metrics", "/other"))).status).toBe(404);
});

test("logs carry one line per interception with ids and credential hint, never a secret", async () => {
  const lines = f.gw.logs.filter((l) => l.includes('"msg":"interception"'));
  expect(lines.length).toBeGreaterThan(0);
  const entry = JSON.parse(lines[0]!);
  expect(entry).toMatchObject({
    provider: "openai",
    model: "gpt-4o",
    status: 200,
    credential_kind: "centralized",
  });
  expect(entry.interception_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(entry.credential_hint).toMatch(/^sk-o\.\.\./);
  const all = f.gw.logs.join("\n");
  expect(all).not.toContain(f.gw.adminKey.slice(11));
  expect(all).not.toContain("sk-openai-configured-0123456789abcdef");
});
