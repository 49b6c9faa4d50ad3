import type { PendingBatch } from "./records";

/** How one end of a batch links to a parent written in the same batch (SPEC §14 threads). */
export interface BatchLink {
  /** The parent interception, when its tool call is in this batch. */
  parent: string;
  /**
   * The first ancestor of the chain that is in this batch: the thread root is its root as the
   * database knows it, or itself when it has no parent.
   */
  top: string;
}

/**
 * Links the ends of a batch whose parent's tool call is in the same batch. Those rows are inserted
 * by the very statement that writes the ends, so SQL cannot see them; every other parent is looked
 * up in SQL. Ends are in the order their interceptions finished, each after its own tool usages: a
 * parent is only one that finished earlier, and the newest one of the same initiator wins.
 */
export function linkWithinBatch(batch: PendingBatch): Map<string, BatchLink> {
  const links = new Map<string, BatchLink>();
  if (batch.toolUsages.length === 0) return links;
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
    for (const call of callsOf.get(end.id) ?? []) madeBy.set(`${end.initiatorId} ${call}`, end.id);
  }
  return links;
}
