import type { SseEvent } from "../sse";

export interface TokenUsage {
  providerResponseId: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheWriteInputTokens: number | null;
  /** Extra token types under the reference's key names; only those the provider reported. */
  metadata: Record<string, number>;
}

export interface ToolCall {
  tool: string;
  providerToolCallId: string;
  /** JSON text of the arguments, as the model emitted it. */
  input: string;
}

export interface RequestFacts {
  model: string;
  stream: boolean;
  prompt: string | null;
  /**
   * The tool call this request answers (SPEC §14 threads): the id of the last tool result of the
   * request's last message or item, or null when the request does not end with a tool result.
   */
  correlationToolCallId: string | null;
}

/** Where a thought came from; stored as the row's `metadata.source`. */
export type ThoughtSource = "thinking" | "reasoning_summary" | "commentary";

/** Text the model showed of its reasoning (SPEC §14 model thoughts); never empty. */
export interface Thought {
  content: string;
  source: ThoughtSource;
}

export interface ObservedResponse {
  usage: TokenUsage | null;
  toolCalls: ToolCall[];
  /** An Anthropic stream error event of type overloaded_error was seen. */
  overloaded: boolean;
  /** In the order the model produced them. */
  thoughts: Thought[];
}

/** Reads a parsed copy of one upstream response (a JSON body or SSE events) for recording. */
export interface ResponseObserver {
  onJson(body: unknown): void;
  onEvent(event: SseEvent): void;
  result(): ObservedResponse;
}

/** What one API (messages, chat completions, responses) means for recording. */
export interface ApiInterceptor {
  api: "messages" | "chat-completions" | "responses";
  parseRequest(body: Record<string, unknown>): RequestFacts | { error: string };
  /** A modified body, or null when the request goes upstream as the client sent it. */
  rewriteRequest?(body: Record<string, unknown>): Record<string, unknown> | null;
  observe(): ResponseObserver;
}
