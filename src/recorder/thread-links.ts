import type { PendingBatch } from "./records";

/** How one end of a batch links to a parent written in the same batch (SPEC §14 threads). */
export interface BatchLink {
  /** The parent interception, when it ends in this batch too. */
  parent: string;
  /**
   * The first ancestor of the chain that is in this batch: the thread root is its root as the
   * database knows it, or itself when it has no parent.
   */
  top: string;
}

/**
 * Links the ends of a batch whose parent ends in the same batch: the parent's own thread root is
 * written by the very statement that writes these ends (and its tool usage rows may be too), so SQL
 * cannot see it; every other parent is looked up in SQL. Ends are in the order their interceptions finished, each after its own tool usages: a
 * parent is only one that finished earlier, and the newest one of the same initiator wins.
 */
export function linkWithinBatch(batch: PendingBatch): Map<string, BatchLink> {
  const links = new Map<string, BatchLink>();
  // Ends recorded by an older process (a spill file) may not carry their calls: the batch's tool
  // usage rows then name them.
  const callsOf = new Map<string, string[]>();
  for (const tool of batch.toolUsages) {
    if (!tool.providerToolCallId) continue;
    const calls = callsOf.get(tool.interceptionId);
    if (calls) calls.push(tool.providerToolCallId);
    else callsOf.set(tool.interceptionId, [tool.providerToolCallId]);
  }
  // `${initiator} ${tool call id}` → the interception that made the call.
  const madeBy = new Map<string, string>();
  for (const end of batch.ends) {
    const callId = end.correlationToolCallId;
    const parent = callId ? madeBy.get(`${end.initiatorId} ${callId}`) : undefined;
    if (parent !== undefined && parent !== end.id) {
      links.set(end.id, { parent, top: links.get(parent)?.top ?? parent });
    }
    for (const call of end.toolCallIds ?? callsOf.get(end.id) ?? []) {
      if (call) madeBy.set(`${end.initiatorId} ${call}`, end.id);
    }
  }
  return links;
}
