import type { Thought, TokenUsage, ToolCall } from "../bridge/intercept/types";
import type { Failure } from "../bridge/interception-failure";
import { type InterceptionMetricSet, InterceptionMetrics } from "../bridge/interception-metrics";
import type { Logger } from "../observability/logger";
import type { Recorder } from "../recorder/recorder";
import { storableJson, storableNullableText, storableText } from "../recorder/storable-text";
import type { Flight } from "./flight";

export interface InterceptionOutcome {
  /** The HTTP status relayed to the client (499 when the client left before any answer). */
  status: number;
  usage?: TokenUsage | null;
  toolCalls?: ToolCall[];
  thoughts?: Thought[];
  /** Why it did not succeed; absent on success (SPEC §14 error_type, error_message). */
  failure?: Failure;
  /** For the log line only. */
  error?: string;
}

/** What an operator chose to store (SPEC §14); off keeps the rows with their content as "". */
export interface RecordingControls {
  prompts: boolean;
  toolInputs: boolean;
  thoughts: boolean;
}

const RECORD_EVERYTHING: RecordingControls = { prompts: true, toolInputs: true, thoughts: true };

/** The recorded life of one intercepted request: the committed start, then its rows and end. */
export class InterceptionLog {
  private readonly metrics: InterceptionMetrics;

  constructor(
    private readonly recorder: Recorder,
    metrics: InterceptionMetricSet,
    private readonly logger: Logger,
    private readonly controls: RecordingControls = RECORD_EVERYTHING,
  ) {
    this.metrics = new InterceptionMetrics(metrics);
  }

  /** Commits the interception row (grouped with concurrent ones). Throws when it cannot be recorded. */
  async start(flight: Flight, userAgent: string): Promise<void> {
    const id = Bun.randomUUIDv7();
    const startedAt = new Date();
    await this.recorder.startInterception({
      id,
      initiatorId: flight.identity!.userId,
      apiKeyId: flight.identity!.apiKeyId,
      provider: flight.provider!.name,
      model: storableText(flight.facts!.model),
      client: flight.client!.client,
      clientSessionId: storableNullableText(flight.client!.sessionId),
      userAgent: storableText(userAgent),
      metadata: {},
      credentialKind: flight.credential!.kind,
      credentialHint: storableText(flight.credential!.hint),
      startedAt,
    });
    flight.interception = { id, startedAt, startedPerf: performance.now() };
    flight.responseHeaders.set("x-aibridge-interception-id", id);
    this.metrics.started(flight.provider!.name);
  }

  /**
   * Queues the children and the end; `ended_at` comes from a monotonic clock so it never precedes
   * the start. Here and in `start`, text a client or an upstream chose is made storable, once
   * (SPEC §13: NUL and lone surrogates become U+FFFD).
   */
  finish(flight: Flight, outcome: InterceptionOutcome): void {
    const interception = flight.interception;
    if (!interception) return;
    flight.interception = undefined;
    const elapsedMs = Math.max(0, performance.now() - interception.startedPerf);
    const endedAt = new Date(interception.startedAt.getTime() + elapsedMs);
    const provider = flight.provider!.name;
    const model = flight.facts!.model;
    const { usage, toolCalls = [], thoughts = [] } = outcome;
    const responseId = storableText(usage?.providerResponseId ?? "");
    if (usage) {
      this.recorder.recordTokenUsage({
        interceptionId: interception.id,
        providerResponseId: responseId,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadInputTokens: usage.cacheReadInputTokens,
        cacheWriteInputTokens: usage.cacheWriteInputTokens,
        metadata: storableJson(usage.metadata),
        createdAt: endedAt,
        subject: { provider, model, initiatorId: flight.identity!.userId, startedAt: interception.startedAt },
      });
    }
    const prompt = flight.facts!.prompt;
    if (prompt !== null) {
      this.recorder.recordUserPrompt({
        interceptionId: interception.id,
        providerResponseId: responseId,
        prompt: this.controls.prompts ? storableText(prompt) : "",
        createdAt: endedAt,
      });
    }
    const callIds = toolCalls.map((call) => storableText(call.providerToolCallId));
    toolCalls.forEach((call, i) => {
      this.recorder.recordToolUsage({
        interceptionId: interception.id,
        providerResponseId: responseId,
        tool: storableText(call.tool),
        providerToolCallId: callIds[i]!,
        input: this.controls.toolInputs ? storableText(call.input) : "",
        injected: false,
        createdAt: endedAt,
      });
    });
    for (const thought of thoughts) {
      this.recorder.recordModelThought({
        interceptionId: interception.id,
        content: this.controls.thoughts ? storableText(thought.content) : "",
        metadata: { source: thought.source },
        createdAt: endedAt,
      });
    }
    this.recorder.endInterception({
      id: interception.id,
      endedAt,
      status: outcome.status,
      errorType: outcome.failure?.type ?? null,
      errorMessage: storableNullableText(outcome.failure?.message ?? null),
      initiatorId: flight.identity!.userId,
      correlationToolCallId: storableNullableText(flight.facts!.correlationToolCallId),
      toolCallIds: callIds,
    });
    this.metrics.finished(provider, model, {
      status: outcome.status,
      elapsedMs,
      usage: usage ?? null,
      prompt: prompt !== null,
      tools: toolCalls.map((c) => c.tool),
    });
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
      ...(outcome.failure ? { error_type: outcome.failure.type } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  }
}
