import type { interceptions, tokenUsages, toolUsages, userPrompts } from "../db/schema";

export type InterceptionRecord = typeof interceptions.$inferInsert;
export type TokenUsageRecord = typeof tokenUsages.$inferInsert;
export type UserPromptRecord = typeof userPrompts.$inferInsert;
export type ToolUsageRecord = typeof toolUsages.$inferInsert;
export interface InterceptionEnd {
  id: string;
  endedAt: Date;
}

/** Child rows and ends waiting for the next background flush. */
export interface PendingBatch {
  tokenUsages: TokenUsageRecord[];
  userPrompts: UserPromptRecord[];
  toolUsages: ToolUsageRecord[];
  ends: InterceptionEnd[];
}

export function emptyBatch(): PendingBatch {
  return { tokenUsages: [], userPrompts: [], toolUsages: [], ends: [] };
}

export function batchSize(b: PendingBatch): number {
  return b.tokenUsages.length + b.userPrompts.length + b.toolUsages.length + b.ends.length;
}

export function describeBatch(b: PendingBatch) {
  return {
    token_usages: b.tokenUsages.length,
    user_prompts: b.userPrompts.length,
    tool_usages: b.toolUsages.length,
    ends: b.ends.length,
  };
}
