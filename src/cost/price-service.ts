import type { Db } from "../db/engine";
import { CatalogFamilies, type CatalogModel, catalogModels } from "./catalog";
import { PriceBook } from "./price-book";
import type { ModelPrices, PriceEntry } from "./prices";
import { deleteCustomPrice, loadPrices, putCustomPrice, seedCatalogPrices } from "./prices-db";

export const PRICED_PROVIDERS = ["openai", "anthropic"] as const;

const REFRESH_EVERY_MS = 10_000;

/**
 * The prices table and its in-memory copy: seeded from the catalog at start, changed through the
 * API (the copy follows at once here, and on other replicas at the next periodic refresh).
 */
export class PriceService {
  readonly book = new PriceBook(new CatalogFamilies());
  private readonly catalog: Map<string, CatalogModel>;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly db: Db,
    now: () => number,
    private readonly onRefreshError: (error: unknown) => void = () => {},
  ) {
    this.catalog = new Map(
      catalogModels(PRICED_PROVIDERS, new Date(now())).map((m) => [`${m.provider}\u0000${m.model}`, m]),
    );
  }

  async start(): Promise<void> {
    await seedCatalogPrices(this.db, [...this.catalog.values()]);
    await this.reload();
    this.timer = setInterval(() => this.reload().catch(this.onRefreshError), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async reload(): Promise<PriceEntry[]> {
    const entries = await loadPrices(this.db);
    this.book.replace(entries);
    return entries;
  }

  list(): Promise<PriceEntry[]> {
    return loadPrices(this.db);
  }

  async put(provider: string, model: string, prices: ModelPrices): Promise<PriceEntry> {
    const entry = await putCustomPrice(this.db, provider, model, prices);
    await this.reload();
    return entry;
  }

  async delete(provider: string, model: string): Promise<boolean> {
    const deleted = await deleteCustomPrice(
      this.db,
      provider,
      model,
      this.catalog.get(`${provider}\u0000${model}`),
    );
    if (deleted) await this.reload();
    return deleted;
  }
}
