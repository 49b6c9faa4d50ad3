import { describe, expect, test } from "bun:test";

import { InterceptionMetrics } from "../../src/bridge/interception-metrics";
import { createMetrics } from "../../src/observability/metrics";

const usage = (input: number, output: number, metadata: Record<string, number> = {}) => ({
  providerResponseId: "r",
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: null,
  cacheWriteInputTokens: 0,
  metadata,
});

describe("InterceptionMetrics", () => {
  test("series looked up once keep adding up, per provider, model, status and token type", () => {
    const metrics = createMetrics();
    const m = new InterceptionMetrics(metrics);
    for (const [model, status] of [
      ["gpt-4o", 200],
      ["gpt-4o", 200],
      ["gpt-4o", 429],
      ["o3", 200],
    ] as const) {
      m.started("openai");
      m.finished("openai", model, {
        status,
        elapsedMs: 1500,
        usage: status === 200 ? usage(10, 2, { completion_reasoning: 5 }) : null,
        prompt: true,
        tools: model === "o3" ? ["read", "read"] : [],
      });
    }
    const c = (name: keyof typeof metrics, labels: Record<string, string>) =>
      (metrics[name] as { get(l: Record<string, string>): number }).get(labels);
    expect(c("interceptionsTotal", { provider: "openai", model: "gpt-4o", status: "200" })).toBe(2);
    expect(c("interceptionsTotal", { provider: "openai", model: "gpt-4o", status: "429" })).toBe(1);
    expect(c("interceptionsTotal", { provider: "openai", model: "o3", status: "200" })).toBe(1);
    expect(c("tokensTotal", { provider: "openai", model: "gpt-4o", type: "input" })).toBe(20);
    expect(c("tokensTotal", { provider: "openai", model: "gpt-4o", type: "completion_reasoning" })).toBe(10);
    // Absent and zero counts add nothing.
    expect(metrics.registry.render()).not.toContain('type="cache_read"');
    expect(metrics.registry.render()).not.toContain('type="cache_write"');
    expect(c("promptsTotal", { provider: "openai", model: "gpt-4o" })).toBe(3);
    expect(c("toolSelectionsTotal", { provider: "openai", model: "o3", tool: "read" })).toBe(2);
    expect(c("interceptionsInFlight", { provider: "openai" })).toBe(0);
    expect(metrics.registry.render()).toContain(
      'aibridge_interception_duration_seconds_count{provider="openai"} 4',
    );
  });

  test("past the lookup cache's size, counting goes on where it was", () => {
    const metrics = createMetrics();
    const m = new InterceptionMetrics(metrics);
    const finish = (model: string) =>
      m.finished("anthropic", model, { status: 200, elapsedMs: 1, usage: null, prompt: true, tools: [] });
    finish("first");
    for (let i = 0; i < 1100; i++) finish(`model-${i}`);
    finish("first");
    expect(metrics.promptsTotal.get({ provider: "anthropic", model: "first" })).toBe(2);
    expect(metrics.interceptionsTotal.get({ provider: "anthropic", model: "model-5", status: "200" })).toBe(
      1,
    );
  });
});
