/** Prices in micro-USD per million tokens (`3_000_000` = $3 / MTok); null = unknown, 0 = free. */
export interface PriceSet {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite5m: number | null;
  cacheWrite1h: number | null;
}

/** A long-context tier: a request whose input tokens (cache included) exceed the threshold is priced at it. */
export interface LongContextPrices extends PriceSet {
  thresholdTokens: number;
}

export interface ModelPrices extends PriceSet {
  longContext: LongContextPrices | null;
}

export type PriceSource = "catalog" | "custom";

export interface PriceEntry {
  provider: string;
  model: string;
  prices: ModelPrices;
  source: PriceSource;
  updatedAt: Date;
}

export const PRICE_FIELDS = ["input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h"] as const;
