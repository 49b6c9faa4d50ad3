import type { ModelPrices, PriceSet } from "./prices";

/** A recorded usage row's token counts (SPEC §8.2); absent counts are null. */
export interface UsageTokens {
  inputTokens?: number | null;
  outputTokens?: number | null;
  cacheReadInputTokens?: number | null;
  cacheWriteInputTokens?: number | null;
  metadata?: Record<string, number> | null;
}

/** The prices a row was priced with, as stored on it (micro-USD per MTok). */
export interface AppliedPrices {
  input: number | null;
  output: number | null;
  cache_read: number | null;
  cache_write_5m: number | null;
  cache_write_1h: number | null;
  /** The long-context tier's threshold when the row was priced at that tier. */
  long_context_threshold_tokens?: number;
}

export interface PricedUsage {
  /** null when a price the row needs is unknown. */
  costMicros: number | null;
  applied: AppliedPrices;
}

const count = (n: number | null | undefined) => (typeof n === "number" && n > 0 ? Math.trunc(n) : 0);

/**
 * Splits cache writes into 5-minute and 1-hour ones: from Anthropic's `cache_ephemeral_1h_input` /
 * `cache_ephemeral_5m_input` when reported, otherwise all 5-minute (SPEC §15).
 */
export function cacheWriteSplit(usage: UsageTokens): { write5m: number; write1h: number } {
  const meta = usage.metadata ?? {};
  const reported5m = count(meta.cache_ephemeral_5m_input);
  const reported1h = count(meta.cache_ephemeral_1h_input);
  const total =
    usage.cacheWriteInputTokens === null || usage.cacheWriteInputTokens === undefined
      ? reported5m + reported1h
      : count(usage.cacheWriteInputTokens);
  const write1h = Math.min(reported1h, total);
  return { write5m: total - write1h, write1h };
}

/** Input tokens of the request as the tier threshold counts them: uncached, cache reads and writes. */
export function promptTokens(usage: UsageTokens): number {
  const { write5m, write1h } = cacheWriteSplit(usage);
  return count(usage.inputTokens) + count(usage.cacheReadInputTokens) + write5m + write1h;
}

const MILLION = 1_000_000n;

/**
 * The cost of one usage row in micro-USD: each token kind times its price per million, summed
 * exactly (integers) and rounded half up once. A kind with tokens but no known price makes the
 * whole row unpriced (null) rather than silently cheaper.
 */
export function priceUsage(usage: UsageTokens, prices: ModelPrices): PricedUsage {
  const tier =
    prices.longContext && promptTokens(usage) > prices.longContext.thresholdTokens
      ? prices.longContext
      : null;
  const set: PriceSet = tier ?? prices;
  const { write5m, write1h } = cacheWriteSplit(usage);
  const parts: [number, number | null][] = [
    [count(usage.inputTokens), set.input],
    [count(usage.outputTokens), set.output],
    [count(usage.cacheReadInputTokens), set.cacheRead],
    [write5m, set.cacheWrite5m],
    [write1h, set.cacheWrite1h],
  ];
  const applied: AppliedPrices = {
    input: set.input,
    output: set.output,
    cache_read: set.cacheRead,
    cache_write_5m: set.cacheWrite5m,
    cache_write_1h: set.cacheWrite1h,
    ...(tier ? { long_context_threshold_tokens: tier.thresholdTokens } : {}),
  };
  let total = 0n;
  for (const [tokens, price] of parts) {
    if (tokens === 0) continue;
    if (price === null) return { costMicros: null, applied };
    total += BigInt(tokens) * BigInt(price);
  }
  return { costMicros: Number((total + MILLION / 2n) / MILLION), applied };
}
