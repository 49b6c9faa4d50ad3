import type { CallerKey } from "../auth/caller-key";
import type { Identity } from "../auth/identity";
import type { Slot } from "../overload/concurrency";
import type { CredentialPlan } from "./headers";
import type { RequestFacts } from "./intercept/types";
import type { Provider, RouteMatch } from "./providers/types";

export interface Interception {
  id: string;
  startedAt: Date;
  startedPerf: number;
}

/** What the hook chain learns about one data-plane request, step by step. */
export class Flight {
  readonly startedPerf = performance.now();
  slot: Slot | null = null;
  /** The response body stream releases the slot when it ends. */
  slotHandedToBody = false;
  providerName = "";
  provider: Provider | undefined;
  /** Path under `/api/v2/aibridge/{provider}`, e.g. `/v1/messages`. */
  path = "";
  search = "";
  callerKey: CallerKey | undefined;
  identity: Identity | undefined;
  credential: { plan: CredentialPlan; kind: "centralized" | "byok"; hint: string } | undefined;
  route: Exclude<RouteMatch, { kind: "not-found" } | { kind: "method-not-allowed" }> | undefined;
  body: Uint8Array | undefined;
  json: Record<string, unknown> | undefined;
  facts: RequestFacts | undefined;
  client: { client: string; sessionId: string | null } | undefined;
  breakerPermit: { done(failure: boolean): void } | undefined;
  interception: Interception | undefined;
  /** Headers added to whatever response this request gets (rate-limit state, interception id). */
  readonly responseHeaders = new Headers();

  releaseSlot(): void {
    this.slot?.release();
  }
}
