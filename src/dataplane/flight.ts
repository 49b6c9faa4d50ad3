import type { CallerKey } from "../auth/caller-key";
import type { Identity } from "../auth/identity";
import type { CredentialPlan } from "../bridge/headers";
import type { RequestFacts } from "../bridge/intercept/types";
import type { Provider, RouteMatch } from "../bridge/providers/types";
import type { Slot } from "../overload/concurrency";

export interface Interception {
  id: string;
  startedAt: Date;
  startedPerf: number;
}

export const DATA_PLANE_PREFIX = "/api/v2/aibridge";

/**
 * The per-request context of the data plane: what the lifecycle chain learns about one request,
 * step by step. Only `dataplane/` knows it; the pure cores it wires never see it.
 */
export class Flight {
  readonly startedPerf = performance.now();
  slot: Slot | null = null;
  /** The response body stream ends the request (slot, permit, interception) when it ends. */
  bodyOwnsEnd = false;
  providerName = "";
  provider: Provider | undefined;
  /** Path under `/api/v2/aibridge/{provider}`, e.g. `/v1/messages`. */
  path = "";
  search = "";
  match: RouteMatch | null = null;
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
  /** Set once the upstream answered: the response-headers step adds `Server-Timing` from it. */
  upstreamMs: number | undefined;
  /** Headers added to whatever response this request gets (rate-limit state, interception id). */
  readonly responseHeaders = new Headers();

  get intercepted(): boolean {
    return this.match?.kind === "intercepted";
  }

  releaseSlot(): void {
    this.slot?.release();
  }
}

/**
 * The flight of a data-plane URL, or null for any other path. Provider, path and query come from the
 * raw URL: the path goes upstream exactly as the client wrote it. `known` limits it to configured
 * providers (the `onRequest` steps run before routing, for every path, management ones included).
 */
export function flightOf(request: Request, providers: Map<string, Provider>, known: boolean): Flight | null {
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (!url.startsWith(DATA_PLANE_PREFIX, pathStart) || url[pathStart + DATA_PLANE_PREFIX.length] !== "/") {
    return null;
  }
  const queryStart = url.indexOf("?", pathStart);
  const pathname = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
  const rest = pathname.slice(DATA_PLANE_PREFIX.length + 1);
  const slash = rest.indexOf("/");
  // `…/openai` alone is no route of the data plane (that is `…/openai/*`): no flight, so no step
  // takes a slot that the unrouted 404 would never give back.
  if (slash < 0) return null;
  const providerName = rest.slice(0, slash);
  const provider = providers.get(providerName);
  if (known && !provider) return null;
  const flight = new Flight();
  flight.providerName = providerName;
  flight.provider = provider;
  flight.path = rest.slice(slash);
  flight.search = queryStart < 0 ? "" : url.slice(queryStart);
  flight.match = provider?.match(request.method, flight.path) ?? null;
  return flight;
}
