import { describe, expect, test } from "bun:test";

import { InterceptionMetrics } from "../../src/bridge/interception-metrics";
import {
  cutLabelValue,
  LabelValueBounds,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABEL_VALUES,
} from "../../src/observability/label-bounds";
import { createMetrics, MAX_SERIES_PER_METRIC, Registry } from "../../src/observability/metrics";

describe("label values (SPEC §13)", () => {
  test("the limits are 500 values per label and 128 characters per value", () => {
    expect(MAX_LABEL_VALUES).toBe(500);
    expect(MAX_LABEL_VALUE_LENGTH).toBe(128);
  });

  test("values are cut to 128 characters, never splitting a surrogate pair", () => {
    expect(cutLabelValue("gpt-4o")).toBe("gpt-4o");
    expect(cutLabelValue("m".repeat(128))).toBe("m".repeat(128));
    expect(cutLabelValue("m".repeat(2000))).toBe("m".repeat(128));
    expect(cutLabelValue("😀".repeat(200))).toBe("😀".repeat(128));
    expect(cutLabelValue(`${"m".repeat(127)}😀tail`)).toBe(`${"m".repeat(127)}😀`);
    // A lone surrogate counts as one character.
    expect(cutLabelValue("\ud800".repeat(200))).toBe("\ud800".repeat(128));
  });

  test("the first 500 distinct values of a label are kept; later ones become other; labels are independent", () => {
    const bounds = new LabelValueBounds();
    for (let i = 0; i < 500; i++) expect(bounds.admit("model", `m${i}`)).toBe(`m${i}`);
    expect(bounds.admit("model", "m500")).toBe("other");
    expect(bounds.peek("model", "m501")).toBe("other");
    expect(bounds.admit("model", "m0")).toBe("m0");
    expect(bounds.admit("tool", "read")).toBe("read");
    // Values that differ only after their first 128 characters are one value.
    const fresh = new LabelValueBounds(2);
    expect(fresh.admit("model", `${"x".repeat(128)}a`)).toBe("x".repeat(128));
    expect(fresh.admit("model", `${"x".repeat(128)}b`)).toBe("x".repeat(128));
    expect(fresh.admit("model", "y")).toBe("y");
    expect(fresh.admit("model", "z")).toBe("other");
  });
});

describe("metrics stay bounded whatever model names clients invent", () => {
  test("10 000 distinct names: at most 501 model values per metric, each at most 128 characters", () => {
    const metrics = createMetrics();
    const interceptions = new InterceptionMetrics(metrics);
    for (let i = 0; i < 10_000; i++) {
      const model = i % 2 ? `model-${i}` : `${"long-".repeat(100)}${i}`;
      interceptions.started("openai");
      interceptions.finished("openai", model, {
        status: 200,
        elapsedMs: 5,
        usage: {
          providerResponseId: "r",
          inputTokens: 3,
          outputTokens: 2,
          cacheReadInputTokens: null,
          cacheWriteInputTokens: null,
          metadata: {},
        },
        prompt: true,
        tools: ["read"],
      });
      metrics.circuitBreakerRejectsTotal.inc({ provider: "openai", route: "/v1/chat/completions", model });
    }
    const text = metrics.registry.render();
    const models = new Map<string, Set<string>>();
    for (const line of text.split("\n")) {
      if (line.startsWith("#")) continue;
      const name = line.slice(0, line.indexOf("{"));
      const model = /model="([^"]*)"/.exec(line)?.[1];
      if (model === undefined) continue;
      expect(model.length).toBeLessThanOrEqual(128);
      if (!models.has(name)) models.set(name, new Set());
      models.get(name)!.add(model);
    }
    expect([...models.keys()].sort()).toEqual([
      "aibridge_circuit_breaker_rejects_total",
      "aibridge_interceptions_total",
      "aibridge_prompts_total",
      "aibridge_tokens_total",
      "aibridge_tool_selections_total",
    ]);
    for (const values of models.values()) {
      expect(values.size).toBe(501);
      expect(values.has("other")).toBe(true);
    }
    expect(text.length).toBeLessThan(1024 * 1024);
    // Nothing is lost: the overflow is counted.
    const total = [...text.matchAll(/^aibridge_interceptions_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(total).toBe(10_000);
    expect(metrics.interceptionsTotal.get({ provider: "openai", model: "model-9999", status: "200" })).toBe(
      metrics.interceptionsTotal.get({ provider: "openai", model: "other", status: "200" }),
    );
  });

  test("label combinations past the series limit are counted in one all-other series", () => {
    const counter = new Registry().counter("c_total", "c");
    // 500 × 500 label values would be 250 000 series.
    for (let a = 0; a < 500; a++) for (let b = 0; b < 30; b++) counter.inc({ model: `m${a}`, tool: `t${b}` });
    expect(counter.render().split("\n").length - 2).toBe(MAX_SERIES_PER_METRIC + 1);
    expect(counter.get({ model: "other", tool: "other" })).toBe(500 * 30 - MAX_SERIES_PER_METRIC);
    expect(counter.get({ model: "m0", tool: "t0" })).toBe(1);
  });
});
