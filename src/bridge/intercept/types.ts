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
}

export interface ObservedResponse {
  usage: TokenUsage | null;
  toolCalls: ToolCall[];
  /** An Anthropic stream error event of type overloaded_error was seen. */
  overloaded: boolean;
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
