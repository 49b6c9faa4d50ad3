/** The request bodies every scenario is measured with: the same bytes for every gateway. */
import { HOLD_MODEL_SUFFIX } from "./mock/holds.ts";
import type { Provider } from "./scenarios/types.ts";

const PROMPT = "Say hello in twenty-six words.";
export const OPENAI_MODEL = "gpt-4o-mini";
export const ANTHROPIC_MODEL = "claude-sonnet-4-5";

export type Shape = "json" | "stream" | "hold";

export function requestBody(provider: Provider, shape: Shape): string {
  const streaming = shape !== "json";
  if (provider === "openai") {
    return JSON.stringify({
      model: shape === "hold" ? OPENAI_MODEL + HOLD_MODEL_SUFFIX : OPENAI_MODEL,
      messages: [{ role: "user", content: PROMPT }],
      max_tokens: 64,
      ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  }
  return JSON.stringify({
    model: shape === "hold" ? ANTHROPIC_MODEL + HOLD_MODEL_SUFFIX : ANTHROPIC_MODEL,
    max_tokens: 64,
    messages: [{ role: "user", content: PROMPT }],
    ...(streaming ? { stream: true } : {}),
  });
}
