import {
  calcPrice,
  findProvider,
  type ModelInfo,
  type ModelPrice,
  type TieredPrices,
} from "@pydantic/genai-prices";

import type { ModelPrices, PriceSet } from "./prices";

/**
 * The price catalog: `@pydantic/genai-prices`, pinned in package.json. Its data is bundled in the
 * package (and so in the executable); nothing here touches the network (`updatePrices` is never called).
 */
export const CATALOG_PACKAGE = "@pydantic/genai-prices";

export interface CatalogModel {
  provider: string;
  model: string;
  prices: ModelPrices;
}

type CatalogPrice = number | TieredPrices | undefined;

const toMicros = (usdPerMtok: number) => Math.round(usdPerMtok * 1_000_000);
const base = (p: CatalogPrice) => (p === undefined ? null : toMicros(typeof p === "number" ? p : p.base));
const tierStart = (p: CatalogPrice) => (typeof p === "object" ? p.tiers[0]?.start : undefined);
const tierPrice = (p: CatalogPrice) => {
  if (p === undefined) return null;
  if (typeof p === "number") return toMicros(p);
  return toMicros(p.tiers[0]?.price ?? p.base);
};

/**
 * The catalog leaves out a cache price when the provider bills those tokens like plain input (its own
 * calculation then charges them at the parent rate): the table spells that out.
 */
function withFallbacks(set: PriceSet): PriceSet {
  const cacheWrite5m = set.cacheWrite5m ?? set.input;
  return {
    ...set,
    cacheRead: set.cacheRead ?? set.input,
    cacheWrite5m,
    cacheWrite1h: set.cacheWrite1h ?? cacheWrite5m,
  };
}

/** One catalog price (possibly tiered) as the table's columns. */
export function catalogPrices(price: ModelPrice): ModelPrices {
  const keys = {
    input: price.input_mtok,
    output: price.output_mtok,
    cacheRead: price.cache_read_mtok,
    cacheWrite5m: price.cache_write_mtok,
    cacheWrite1h: price.cache_write_1h_mtok,
  };
  const set = (pick: (p: CatalogPrice) => number | null): PriceSet => ({
    input: pick(keys.input),
    output: pick(keys.output),
    cacheRead: pick(keys.cacheRead),
    cacheWrite5m: pick(keys.cacheWrite5m),
    cacheWrite1h: pick(keys.cacheWrite1h),
  });
  // Every tiered price of one model starts its tier at the same size in the catalog's data.
  const threshold = Object.values(keys)
    .map(tierStart)
    .find((start) => start !== undefined);
  return {
    ...withFallbacks(set(base)),
    longContext:
      threshold === undefined ? null : { thresholdTokens: threshold, ...withFallbacks(set(tierPrice)) },
  };
}

/** The price in force at `at` (the catalog keeps historic prices with their start dates). */
export function priceAt(model: ModelInfo, at: Date): ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices;
  let current = model.prices[0]!.prices;
  for (const conditional of model.prices) {
    const constraint = conditional.constraint;
    if (!constraint) current = conditional.prices;
    else if (constraint.type === "start_date" && at >= new Date(constraint.start_date))
      current = conditional.prices;
  }
  return current;
}

/** Every catalog model of these providers, priced as of `at`. */
export function catalogModels(providers: readonly string[], at: Date): CatalogModel[] {
  const out: CatalogModel[] = [];
  for (const provider of providers) {
    for (const model of findProvider({ providerId: provider })?.models ?? []) {
      out.push({ provider, model: model.id, prices: catalogPrices(priceAt(model, at)) });
    }
  }
  return out;
}

const FAMILY_CACHE_LIMIT = 10_000;

/**
 * Which catalog model a model id belongs to, by the catalog's own matching rules
 * (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`); null when the catalog does not know it.
 * Model ids come from clients, so the memo is bounded.
 */
export class CatalogFamilies {
  private readonly memo = new Map<string, string | null>();

  family(provider: string, model: string): string | null {
    const key = `${provider}\u0000${model}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    let family: string | null = null;
    try {
      family = calcPrice({}, model, { providerId: provider })?.model.id ?? null;
    } catch {
      family = null;
    }
    if (this.memo.size >= FAMILY_CACHE_LIMIT) this.memo.clear();
    this.memo.set(key, family);
    return family;
  }
}
