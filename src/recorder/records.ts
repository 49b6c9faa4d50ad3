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
  /**
   * The tool calls this interception made (their usage rows may go out in an earlier batch than
   * this end, when a backlog is cut at the batch size): links within a batch are found from here.
   */
  toolCallIds?: string[];
}

/** Child rows and ends waiting for the next background flush. */
export interface PendingBatch {
  tokenUsages: TokenUsageRecord[];
  userPrompts: UserPromptRecord[];
  toolUsages: ToolUsageRecord[];
  modelThoughts: ModelThoughtRecord[];
  /** Last: every function here keeps an end behind its interception's rows. */
  ends: InterceptionEnd[];
}

/** One list of a batch: a child table, or `ends`. */
export type BatchList = keyof PendingBatch;
type AnyRecord = PendingBatch[BatchList][number];

export function emptyBatch(): PendingBatch {
  return { tokenUsages: [], userPrompts: [], toolUsages: [], modelThoughts: [], ends: [] };
}

const lists = (b: PendingBatch) => Object.keys(b) as BatchList[];

export function batchSize(b: PendingBatch): number {
  let n = 0;
  for (const list of lists(b)) n += b[list].length;
  return n;
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

/** Appends `from`'s records to `into` (in place) and returns `into`. */
export function appendBatch(into: PendingBatch, from: PendingBatch): PendingBatch {
  for (const list of lists(from)) (into[list] as AnyRecord[]).push(...from[list]);
  return into;
}

/** The interception a record belongs to: an end names it by `id`, a child row by `interceptionId`. */
function interceptionOf(list: BatchList, record: AnyRecord): string {
  return list === "ends"
    ? (record as InterceptionEnd).id
    : (record as { interceptionId: string }).interceptionId;
}

/**
 * The batch cut into one batch per interception (its rows with its end), in order of first
 * appearance: a failing record is looked for among interceptions first, so that those written
 * are written whole.
 */
export function splitByInterception(b: PendingBatch): PendingBatch[] {
  const groups = new Map<string, PendingBatch>();
  for (const list of lists(b)) {
    for (const record of b[list]) {
      const id = interceptionOf(list, record);
      let group = groups.get(id);
      if (!group) {
        group = emptyBatch();
        groups.set(id, group);
      }
      (group[list] as AnyRecord[]).push(record);
    }
  }
  return [...groups.values()];
}

/** One batch per record, child rows before the end: an interception is never ended before its rows. */
export function splitByRecord(b: PendingBatch): PendingBatch[] {
  const singles: PendingBatch[] = [];
  for (const list of lists(b)) {
    if (list === "ends") continue;
    for (const record of b[list]) singles.push({ ...emptyBatch(), [list]: [record] });
  }
  for (const end of b.ends) singles.push({ ...emptyBatch(), ends: [end] });
  return singles;
}

export function mergeBatches(batches: PendingBatch[]): PendingBatch {
  const merged = emptyBatch();
  for (const b of batches) appendBatch(merged, b);
  return merged;
}

/** Each record of the batch with the list it belongs to (for the spill file). */
export function* batchRecords(b: PendingBatch): Generator<{ list: BatchList; record: AnyRecord }> {
  for (const list of lists(b)) for (const record of b[list]) yield { list, record };
}

/**
 * Moves at most `n` records from the front of `from` into a new batch, child rows before ends (an
 * end never travels ahead of its interception's rows).
 */
export function takeBatch(from: PendingBatch, n: number): PendingBatch {
  const taken = emptyBatch();
  let room = n;
  for (const list of lists(from)) {
    if (room <= 0) break;
    const records = from[list] as AnyRecord[];
    const moved = records.length <= room ? records.splice(0) : records.splice(0, room);
    (taken[list] as AnyRecord[]).push(...moved);
    room -= moved.length;
  }
  return taken;
}
