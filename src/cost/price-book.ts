import type { CatalogFamilies } from "./catalog";
import type { PriceEntry } from "./prices";

export interface ResolvedPrice {
  /** The table row that priced the usage (`claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`). */
  pricedModel: string;
  entry: PriceEntry;
}

// `-20250929` or `-2024-08-06` at the end of a model id.
const DATE_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

const key = (provider: string, model: string) => `${provider}\u0000${model}`;

/**
 * The prices table in memory, for pricing rows off the request path without a database read.
 * A model id is priced by its own row, else by its catalog family's row, else by its id without a
 * date suffix; custom rows replace catalog rows of the same name, so they win in every case.
 */
export class PriceBook {
  private entries = new Map<string, PriceEntry>();

  constructor(private readonly families: CatalogFamilies) {}

  replace(entries: Iterable<PriceEntry>): void {
    const next = new Map<string, PriceEntry>();
    for (const entry of entries) next.set(key(entry.provider, entry.model), entry);
    this.entries = next;
  }

  get size(): number {
    return this.entries.size;
  }

  resolve(provider: string, model: string): ResolvedPrice | null {
    const candidates = [model, model.toLowerCase()];
    const family = this.families.family(provider, model);
    if (family) candidates.push(family);
    const undated = model.replace(DATE_SUFFIX, "");
    if (undated !== model) candidates.push(undated, undated.toLowerCase());
    for (const candidate of candidates) {
      const entry = this.entries.get(key(provider, candidate));
      if (entry) return { pricedModel: entry.model, entry };
    }
    return null;
  }
}
