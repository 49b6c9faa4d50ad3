import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { Recorder } from "../recorder/recorder";
import type { Flight } from "./flight";
import type { TokenUsage, ToolCall } from "./intercept/types";

export interface InterceptionOutcome {
  status: number;
  usage?: TokenUsage | null;
  toolCalls?: ToolCall[];
  error?: string;
}

type LogMetrics = Pick<
  Metrics,
  | "interceptionsTotal"
  | "interceptionsInFlight"
  | "interceptionDuration"
  | "tokensTotal"
  | "promptsTotal"
  | "toolSelectionsTotal"
>;

/** The recorded life of one intercepted request: the committed start, then its rows and end. */
export class InterceptionLog {
  constructor(
    private readonly recorder: Recorder,
    private readonly metrics: LogMetrics,
    private readonly logger: Logger,
  ) {}

  /** Commits the interception row (grouped with concurrent ones). Throws when it cannot be recorded. */
  async start(flight: Flight, userAgent: string): Promise<void> {
    const id = Bun.randomUUIDv7();
    const startedAt = new Date();
    await this.recorder.startInterception({
      id,
      initiatorId: flight.identity!.userId,
      apiKeyId: flight.identity!.apiKeyId,
      provider: flight.provider!.name,
      model: flight.facts!.model,
      client: flight.client!.client,
      clientSessionId: flight.client!.sessionId,
      userAgent,
      metadata: {},
      credentialKind: flight.credential!.kind,
      credentialHint: flight.credential!.hint,
      startedAt,
    });
    flight.interception = { id, startedAt, startedPerf: performance.now() };
    flight.responseHeaders.set("x-aibridge-interception-id", id);
    this.metrics.interceptionsInFlight.inc({ provider: flight.provider!.name });
  }

  /** Queues the children and the end; `ended_at` comes from a monotonic clock so it never precedes the start. */
  finish(flight: Flight, outcome: InterceptionOutcome): void {
    const interception = flight.interception;
    if (!interception) return;
    flight.interception = undefined;
    const elapsedMs = Math.max(0, performance.now() - interception.startedPerf);
    const endedAt = new Date(interception.startedAt.getTime() + elapsedMs);
    const provider = flight.provider!.name;
    const model = flight.facts!.model;
    const { usage, toolCalls = [] } = outcome;
    const responseId = usage?.providerResponseId ?? "";
    if (usage) {
      this.recorder.recordTokenUsage({
        interceptionId: interception.id,
        providerResponseId: usage.providerResponseId,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadInputTokens: usage.cacheReadInputTokens,
        cacheWriteInputTokens: usage.cacheWriteInputTokens,
        metadata: usage.metadata,
        createdAt: endedAt,
      });
      this.countTokens(provider, model, usage);
    }
    const prompt = flight.facts!.prompt;
    if (prompt !== null) {
      this.recorder.recordUserPrompt({
        interceptionId: interception.id,
        providerResponseId: responseId,
        prompt,
        createdAt: endedAt,
      });
      this.metrics.promptsTotal.inc({ provider, model });
    }
    for (const call of toolCalls) {
      this.recorder.recordToolUsage({
        interceptionId: interception.id,
        providerResponseId: responseId,
        tool: call.tool,
        providerToolCallId: call.providerToolCallId,
        input: call.input,
        injected: false,
        createdAt: endedAt,
      });
      this.metrics.toolSelectionsTotal.inc({ provider, model, tool: call.tool });
    }
    this.recorder.endInterception(interception.id, endedAt);
    const status = String(outcome.status);
    this.metrics.interceptionsInFlight.dec({ provider });
    this.metrics.interceptionsTotal.inc({ provider, model, status });
    this.metrics.interceptionDuration.observe(elapsedMs / 1000, { provider });
    this.logger.info("interception", {
      interception_id: interception.id,
      initiator_id: flight.identity!.userId,
      api_key_id: flight.identity!.apiKeyId,
      provider,
      model,
      client: flight.client!.client,
      stream: flight.facts!.stream,
      status: outcome.status,
      duration_ms: Math.round(elapsedMs),
      credential_kind: flight.credential!.kind,
      credential_hint: flight.credential!.hint,
      tool_calls: toolCalls.length,
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  }

  private countTokens(provider: string, model: string, usage: TokenUsage): void {
    const add = (type: string, n: number | null | undefined) => {
      if (n) this.metrics.tokensTotal.inc({ provider, model, type }, n);
    };
    add("input", usage.inputTokens);
    add("output", usage.outputTokens);
    add("cache_read", usage.cacheReadInputTokens);
    add("cache_write", usage.cacheWriteInputTokens);
    for (const [type, n] of Object.entries(usage.metadata)) add(type, n as number);
  }
}
