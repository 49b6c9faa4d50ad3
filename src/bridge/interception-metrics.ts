import type { Metrics } from "../observability/metrics";
import type { TokenUsage } from "./intercept/types";

export type InterceptionMetricSet = Pick<
  Metrics,
  | "interceptionsTotal"
  | "interceptionsInFlight"
  | "interceptionDuration"
  | "tokensTotal"
  | "promptsTotal"
  | "toolSelectionsTotal"
>;

type Inc = { inc(by?: number): void };

interface ProviderSeries {
  inFlight: { inc(): void; dec(): void };
  duration: { observe(value: number): void };
}

interface ModelSeries {
  prompts: Inc;
  tokens: Map<string, Inc>;
  totals: Map<string, Inc>;
}

// Model names come from clients: past this many, the lookup cache starts over (the metric series
// themselves are bounded by the registry: SPEC §13).
const MAX_CACHED_MODELS = 1024;

/**
 * The metrics every interception updates (SPEC §11). Each (provider, model) series is looked up
 * once and then updated directly, instead of building and matching label sets on every request.
 */
export class InterceptionMetrics {
  private readonly providers = new Map<string, ProviderSeries>();
  private readonly models = new Map<string, ModelSeries>();

  constructor(private readonly metrics: InterceptionMetricSet) {}

  started(provider: string): void {
    this.provider(provider).inFlight.inc();
  }

  finished(
    provider: string,
    model: string,
    outcome: {
      status: number;
      elapsedMs: number;
      usage: TokenUsage | null;
      prompt: boolean;
      tools: string[];
    },
  ): void {
    const p = this.provider(provider);
    p.inFlight.dec();
    p.duration.observe(outcome.elapsedMs / 1000);
    const m = this.model(provider, model);
    cached(m.totals, String(outcome.status), () =>
      this.metrics.interceptionsTotal.child({ provider, model, status: String(outcome.status) }),
    ).inc();
    if (outcome.prompt) m.prompts.inc();
    if (outcome.usage) this.countTokens(provider, model, m, outcome.usage);
    for (const tool of outcome.tools) this.metrics.toolSelectionsTotal.inc({ provider, model, tool });
  }

  private countTokens(provider: string, model: string, m: ModelSeries, usage: TokenUsage): void {
    const add = (type: string, n: number | null | undefined) => {
      if (n) cached(m.tokens, type, () => this.metrics.tokensTotal.child({ provider, model, type })).inc(n);
    };
    add("input", usage.inputTokens);
    add("output", usage.outputTokens);
    add("cache_read", usage.cacheReadInputTokens);
    add("cache_write", usage.cacheWriteInputTokens);
    for (const type in usage.metadata) add(type, usage.metadata[type]);
  }

  private provider(provider: string): ProviderSeries {
    return cached(this.providers, provider, () => ({
      inFlight: this.metrics.interceptionsInFlight.child({ provider }),
      duration: this.metrics.interceptionDuration.child({ provider }),
    }));
  }

  private model(provider: string, model: string): ModelSeries {
    const key = `${provider}\n${model}`;
    if (this.models.size >= MAX_CACHED_MODELS && !this.models.has(key)) this.models.clear();
    return cached(this.models, key, () => ({
      prompts: this.metrics.promptsTotal.child({ provider, model }),
      tokens: new Map(),
      totals: new Map(),
    }));
  }
}

function cached<V>(cache: Map<string, V>, key: string, create: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = create();
    cache.set(key, value);
  }
  return value;
}
