import type { UsageSubject } from "../cost/costing";
import type { interceptions, modelThoughts, tokenUsages, toolUsages, userPrompts } from "../db/schema";

export type InterceptionRecord = typeof interceptions.$inferInsert;
/** `subject` (not stored) says whose usage it is, for pricing and budgets (src/cost). */
export type TokenUsageRecord = typeof tokenUsages.$inferInsert & { subject?: UsageSubject };
export type UserPromptRecord = typeof userPrompts.$inferInsert;
export type ToolUsageRecord = typeof toolUsages.$inferInsert;
export type ModelThoughtRecord = typeof modelThoughts.$inferInsert;
export interface InterceptionEnd {
  id: string;
  endedAt: Date;
  /** The HTTP status relayed to the client. */
  status: number | null;
  errorType: (typeof interceptions.$inferInsert)["errorType"] | null;
  errorMessage: string | null;
  /** With the correlating tool call id, finds the thread parent when the end is written (§14). */
  initiatorId: string;
  correlationToolCallId: string | null;
}

/** Child rows and ends waiting for the next background flush. */
export interface PendingBatch {
  tokenUsages: TokenUsageRecord[];
  userPrompts: UserPromptRecord[];
  toolUsages: ToolUsageRecord[];
  modelThoughts: ModelThoughtRecord[];
  ends: InterceptionEnd[];
}

export function emptyBatch(): PendingBatch {
  return { tokenUsages: [], userPrompts: [], toolUsages: [], modelThoughts: [], ends: [] };
}

export function batchSize(b: PendingBatch): number {
  return (
    b.tokenUsages.length + b.userPrompts.length + b.toolUsages.length + b.modelThoughts.length + b.ends.length
  );
}

export function describeBatch(b: PendingBatch) {
  return {
    token_usages: b.tokenUsages.length,
    user_prompts: b.userPrompts.length,
    tool_usages: b.toolUsages.length,
    model_thoughts: b.modelThoughts.length,
    ends: b.ends.length,
  };
}
