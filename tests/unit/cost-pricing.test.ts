import { describe, expect, test } from "bun:test";

import { calcPrice } from "@pydantic/genai-prices";

import {
  chatCompletionsInterceptor,
  messagesInterceptor,
  responsesInterceptor,
} from "../../src/bridge/intercept";
import type { TokenUsage } from "../../src/bridge/intercept/types";
import { CatalogFamilies, catalogModels } from "../../src/cost/catalog";
import { PriceBook } from "../../src/cost/price-book";
import { priceUsage } from "../../src/cost/price-usage";
import type { ModelPrices } from "../../src/cost/prices";
import { observeJson } from "../fixtures/observe";

/** Usage as each API reports it, recorded through the real extractors (SPEC §8.2). */
function usageOf(api: typeof messagesInterceptor, body: unknown): TokenUsage {
  const usage = observeJson(api, body).usage;
  if (!usage) throw new Error("no usage extracted");
  return usage;
}

const anthropic = (u: {
  in?: number;
  out?: number;
  read?: number;
  write?: number;
  w5m?: number;
  w1h?: number;
}) =>
  usageOf(messagesInterceptor, {
    type: "message",
    id: "msg_1",
    content: [],
    usage: {
      ...(u.in === undefined ? {} : { input_tokens: u.in }),
      ...(u.out === undefined ? {} : { output_tokens: u.out }),
      ...(u.read === undefined ? {} : { cache_read_input_tokens: u.read }),
      ...(u.write === undefined ? {} : { cache_creation_input_tokens: u.write }),
      ...(u.w5m === undefined && u.w1h === undefined
        ? {}
        : {
            cache_creation: { ephemeral_5m_input_tokens: u.w5m ?? 0, ephemeral_1h_input_tokens: u.w1h ?? 0 },
          }),
    },
  });

const chat = (prompt: number, completion: number, cached?: number) =>
  usageOf(chatCompletionsInterceptor, {
    id: "chatcmpl-1",
    object: "chat.completion",
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
    },
  });

const responses = (input: number, output: number, cached?: number) =>
  usageOf(responsesInterceptor, {
    id: "resp_1",
    object: "response",
    status: "completed",
    output: [],
    usage: {
      input_tokens: input,
      output_tokens: output,
      total_tokens: input + output,
      ...(cached === undefined ? {} : { input_tokens_details: { cached_tokens: cached } }),
      output_tokens_details: { reasoning_tokens: 0 },
    },
  });

// $3 / $15 / $0.30 / $3.75 / $6 per MTok; above 200 000 input tokens $6 / $22.50 / $0.60 / $7.50 / $12.
const PRICES: ModelPrices = {
  input: 3_000_000,
  output: 15_000_000,
  cacheRead: 300_000,
  cacheWrite5m: 3_750_000,
  cacheWrite1h: 6_000_000,
  longContext: {
    thresholdTokens: 200_000,
    input: 6_000_000,
    output: 22_500_000,
    cacheRead: 600_000,
    cacheWrite5m: 7_500_000,
    cacheWrite1h: 12_000_000,
  },
};

const without = (field: keyof Omit<ModelPrices, "longContext">): ModelPrices => ({
  ...PRICES,
  [field]: null,
});

type Row = [name: string, usage: () => TokenUsage, prices: ModelPrices, costMicros: number | null];

const ROWS: Row[] = [
  // Anthropic Messages
  ["messages: input + output", () => anthropic({ in: 1000, out: 500 }), PRICES, 10_500],
  ["messages: + cache read", () => anthropic({ in: 1000, out: 500, read: 2000 }), PRICES, 11_100],
  [
    "messages: cache write, no split → 5m",
    () => anthropic({ in: 1000, out: 500, write: 4000 }),
    PRICES,
    25_500,
  ],
  [
    "messages: cache write split 5m/1h",
    () => anthropic({ in: 1000, out: 500, write: 4000, w5m: 1000, w1h: 3000 }),
    PRICES,
    32_250,
  ],
  [
    "messages: only 1h writes",
    () => anthropic({ in: 1000, out: 500, write: 4000, w1h: 4000 }),
    PRICES,
    34_500,
  ],
  [
    "messages: read + split writes",
    () => anthropic({ in: 1000, out: 500, read: 2000, write: 4000, w5m: 1000, w1h: 3000 }),
    PRICES,
    32_850,
  ],
  [
    "messages: input + cache exactly at the threshold → base prices",
    () => anthropic({ in: 196_000, out: 1000, read: 2000, write: 2000 }),
    PRICES,
    611_100,
  ],
  [
    "messages: one token over the threshold → long-context prices for every kind",
    () => anthropic({ in: 196_001, out: 1000, read: 2000, write: 2000 }),
    PRICES,
    1_214_706,
  ],
  [
    "messages: over the threshold through cache tokens, split writes",
    () => anthropic({ in: 150_000, out: 2000, read: 30_000, write: 40_000, w5m: 10_000, w1h: 30_000 }),
    PRICES,
    1_398_000,
  ],
  ["messages: 4.5 micro-USD rounds half up", () => anthropic({ in: 1, out: 0, read: 5 }), PRICES, 5],
  ["messages: 0.3 micro-USD rounds down", () => anthropic({ in: 0, out: 0, read: 1 }), PRICES, 0],
  ["messages: only an output count", () => anthropic({ out: 7 }), PRICES, 105],
  // Chat Completions: input = prompt − cached
  ["chat: cached tokens priced as reads", () => chat(1200, 300, 200), PRICES, 7_560],
  ["chat: no cache details", () => chat(1200, 300), PRICES, 8_100],
  ["chat: prompt exactly at the threshold", () => chat(200_000, 10, 50_000), PRICES, 465_150],
  ["chat: prompt one over the threshold", () => chat(200_001, 10, 50_000), PRICES, 930_231],
  // Responses
  ["responses: cached tokens priced as reads", () => responses(1200, 300, 200), PRICES, 7_560],
  ["responses: no cache details", () => responses(1200, 300), PRICES, 8_100],
  ["responses: input exactly at the threshold", () => responses(200_000, 0, 0), PRICES, 600_000],
  ["responses: input one over the threshold", () => responses(200_001, 0, 0), PRICES, 1_200_006],
  // Unpriced: a kind with tokens and no known price; a missing price the row does not need is fine.
  ["unpriced: output unknown", () => anthropic({ in: 1000, out: 500 }), without("output"), null],
  [
    "priced: output unknown but none produced",
    () => anthropic({ in: 1000, out: 0 }),
    without("output"),
    3_000,
  ],
  ["unpriced: input unknown", () => chat(1200, 300, 200), without("input"), null],
  ["unpriced: cache read unknown", () => responses(1200, 300, 200), without("cacheRead"), null],
  ["priced: cache read unknown, no cache reads", () => responses(1200, 300), without("cacheRead"), 8_100],
  [
    "unpriced: 1h writes unknown",
    () => anthropic({ in: 1000, out: 500, write: 4000, w5m: 1000, w1h: 3000 }),
    without("cacheWrite1h"),
    null,
  ],
  [
    "priced: 1h unknown, writes all 5m",
    () => anthropic({ in: 1000, out: 500, write: 4000 }),
    without("cacheWrite1h"),
    25_500,
  ],
  [
    "unpriced: 5m writes unknown",
    () => anthropic({ in: 1000, out: 500, write: 4000 }),
    without("cacheWrite5m"),
    null,
  ],
  [
    "unpriced: long-context input unknown, over the threshold",
    () => chat(200_001, 10),
    { ...PRICES, longContext: { ...PRICES.longContext!, input: null } },
    null,
  ],
  [
    "priced: long-context input unknown, under the threshold",
    () => chat(200_000, 10),
    { ...PRICES, longContext: { ...PRICES.longContext!, input: null } },
    600_150,
  ],
  ["priced: no tier at all", () => chat(300_000, 0), { ...PRICES, longContext: null }, 900_000],
  ["free model", () => chat(1200, 300, 200), { ...PRICES, input: 0, output: 0, cacheRead: 0 }, 0],
];

describe("priceUsage: each API's usage × cache kinds × tier boundary × priced/unpriced", () => {
  for (const [name, usage, prices, expected] of ROWS) {
    test(name, () => {
      expect(priceUsage(usage(), prices).costMicros).toBe(expected);
    });
  }

  test("the row stores the prices it was priced with, the tier's when it applied", () => {
    expect(priceUsage(anthropic({ in: 196_000, out: 1 }), PRICES).applied).toEqual({
      input: 3_000_000,
      output: 15_000_000,
      cache_read: 300_000,
      cache_write_5m: 3_750_000,
      cache_write_1h: 6_000_000,
    });
    expect(priceUsage(anthropic({ in: 200_001, out: 1 }), PRICES).applied).toEqual({
      input: 6_000_000,
      output: 22_500_000,
      cache_read: 600_000,
      cache_write_5m: 7_500_000,
      cache_write_1h: 12_000_000,
      long_context_threshold_tokens: 200_000,
    });
  });

  test("huge counts stay exact (no floating point)", () => {
    const usage = { inputTokens: 9_000_000_000, outputTokens: 0 };
    const prices = { ...PRICES, input: 999_999_999, longContext: null };
    expect(priceUsage(usage, prices).costMicros).toBe(8_999_999_991_000);
  });

  test("negative or fractional counts never make a negative cost", () => {
    expect(priceUsage({ inputTokens: -5, outputTokens: 2.9 }, PRICES).costMicros).toBe(30);
  });
});

describe("the catalog", () => {
  const at = new Date("2026-12-01T00:00:00Z");
  const catalog = new Map(
    catalogModels(["anthropic", "openai"], at).map((m) => [`${m.provider}/${m.model}`, m]),
  );

  test("bundles Anthropic and OpenAI models with micro-USD prices and long-context tiers", () => {
    expect(catalog.get("anthropic/claude-sonnet-4-5")!.prices).toEqual({
      input: 3_000_000,
      output: 15_000_000,
      cacheRead: 300_000,
      cacheWrite5m: 3_750_000,
      cacheWrite1h: 6_000_000,
      longContext: {
        thresholdTokens: 200_000,
        input: 6_000_000,
        output: 22_500_000,
        cacheRead: 600_000,
        cacheWrite5m: 7_500_000,
        cacheWrite1h: 12_000_000,
      },
    });
    // No separate cache-write price: the catalog bills those tokens as input.
    expect(catalog.get("openai/gpt-4o")!.prices).toMatchObject({
      input: 2_500_000,
      cacheRead: 1_250_000,
      cacheWrite5m: 2_500_000,
      longContext: null,
    });
  });

  test("historic prices: the price in force at the seeding date", () => {
    // claude-sonnet-4-6 dropped its long-context tier on 2026-03-13.
    const before = catalogModels(["anthropic"], new Date("2026-03-01T00:00:00Z"));
    expect(before.find((m) => m.model === "claude-sonnet-4-6")!.prices.longContext?.thresholdTokens).toBe(
      200_000,
    );
    expect(catalog.get("anthropic/claude-sonnet-4-6")!.prices.longContext).toBeNull();
  });

  const cases: [string, string, Record<string, number>][] = [
    ["anthropic", "claude-sonnet-4-5-20250929", { in: 1200, out: 340, read: 5000, w5m: 800, w1h: 1200 }],
    ["anthropic", "claude-sonnet-4-5", { in: 190_000, out: 2000, read: 20_000, w5m: 4000, w1h: 0 }],
    ["anthropic", "claude-haiku-4-5-20251001", { in: 10_000, out: 1000, read: 0, w5m: 2000, w1h: 0 }],
    ["openai", "gpt-5.4-2026-03-05", { in: 240_000, out: 5000, read: 40_000, w5m: 0, w1h: 0 }],
    ["openai", "gpt-4o-2024-08-06", { in: 1000, out: 1000, read: 1000, w5m: 0, w1h: 0 }],
  ];
  for (const [provider, model, u] of cases) {
    test(`${provider}/${model}: same cost as the catalog's own calculation`, () => {
      const book = new PriceBook(new CatalogFamilies());
      book.replace([...catalog.values()].map((m) => ({ ...m, source: "catalog" as const, updatedAt: at })));
      const resolved = book.resolve(provider, model)!;
      const usage = {
        inputTokens: u.in!,
        outputTokens: u.out!,
        cacheReadInputTokens: u.read!,
        cacheWriteInputTokens: u.w5m! + u.w1h!,
        metadata: { cache_ephemeral_5m_input: u.w5m!, cache_ephemeral_1h_input: u.w1h! },
      };
      const ours = priceUsage(usage, resolved.entry.prices).costMicros!;
      const theirs = calcPrice(
        {
          input_tokens: u.in! + u.read! + u.w5m! + u.w1h!,
          output_tokens: u.out!,
          cache_read_tokens: u.read!,
          cache_write_tokens: u.w5m! + u.w1h!,
          ...(u.w1h ? { cache_write_1h_tokens: u.w1h } : {}),
        },
        model,
        { providerId: provider, timestamp: at },
      )!;
      expect(ours).toBe(Math.round(theirs.total_price * 1_000_000));
    });
  }
});

describe("PriceBook: which row prices a model id", () => {
  const at = new Date("2026-12-01T00:00:00Z");
  const entry = (provider: string, model: string, source: "catalog" | "custom", input = 1) => ({
    provider,
    model,
    prices: { ...PRICES, input },
    source,
    updatedAt: at,
  });
  const book = new PriceBook(new CatalogFamilies());
  book.replace([
    entry("anthropic", "claude-sonnet-4-5", "catalog"),
    entry("anthropic", "claude-opus-4-1", "custom", 2),
    entry("anthropic", "claude-sonnet-4-5-20250929-special", "custom", 3),
    entry("openai", "my-finetune", "custom", 4),
  ]);

  const cases: [string, string, string | null][] = [
    ["anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5"],
    ["anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["anthropic", "CLAUDE-SONNET-4-5", "claude-sonnet-4-5"],
    ["anthropic", "claude-opus-4-1-20250805", "claude-opus-4-1"],
    ["anthropic", "claude-sonnet-4-5-20250929-special", "claude-sonnet-4-5-20250929-special"],
    ["openai", "my-finetune-2025-01-02", "my-finetune"],
    ["openai", "my-finetune-20250102", "my-finetune"],
    ["openai", "claude-sonnet-4-5", null],
    ["anthropic", "unknown-model", null],
  ];
  for (const [provider, model, priced] of cases) {
    test(`${provider}/${model} → ${priced}`, () => {
      expect(book.resolve(provider, model)?.pricedModel ?? null).toBe(priced);
    });
  }
});
