import { Elysia } from "elysia";

import { detectClient } from "../bridge/client-detection";
import { decideCredential } from "../bridge/credentials";
import { setRetryHints } from "../bridge/error-response";
import { jsonNestedDeeperThan, MAX_JSON_DEPTH } from "../bridge/json-depth";
import type { BodyLimits } from "../bridge/read-body";
import { flightSlot, routed } from "./context";
import { DataPlaneError } from "./errors";
import type { Flight } from "./flight";
import { readBodyOrThrow } from "./request-body";

const decoder = new TextDecoder();

export interface RouteOptions {
  allowByok: boolean;
  /** Size and idle-time limits of request bodies (SPEC §13). */
  bodyLimits: BodyLimits;
}

/**
 * The route (404/405), the provider credential (403/502) and, for intercepted routes, the JSON body
 * and what it says (400/408/413/501). Nothing refused here reaches upstream.
 */
export async function checkRoute(
  flight: Flight,
  request: Request,
  options: RouteOptions,
): Promise<Response | undefined> {
  const match = flight.match;
  if (!flight.provider || !match)
    throw new DataPlaneError(404, "notFound", `unknown provider ${flight.providerName}`);
  if (match.kind === "not-found") {
    throw new DataPlaneError(404, "notFound", `Unknown route: ${request.method} ${flight.path}`);
  }
  if (match.kind === "method-not-allowed") {
    throw new DataPlaneError(
      405,
      "invalidRequest",
      `Method ${request.method} is not allowed on ${flight.path}.`,
      {
        allow: match.allow,
      },
    );
  }
  flight.route = match;
  const decision = decideCredential(flight.callerKey!, request.headers, flight.provider, options.allowByok);
  if (!decision.ok) throw new DataPlaneError(decision.status, decision.kind, decision.message);
  flight.credential = { plan: decision.plan, kind: decision.kind, hint: decision.hint };
  if (match.kind !== "intercepted") return;

  flight.body = await readBodyOrThrow(request, options.bodyLimits);
  const text = decoder.decode(flight.body);
  // Checked before parsing: what reads the parsed body later (re-serializing, recording) recurses.
  if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new DataPlaneError(
      400,
      "invalidRequest",
      `Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DataPlaneError(400, "invalidRequest", "Request body is not valid JSON.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new DataPlaneError(400, "invalidRequest", "Request body must be a JSON object.");
  }
  const body = json as Record<string, unknown>;
  const facts = match.interceptor.parseRequest(body);
  if ("error" in facts) throw new DataPlaneError(400, "invalidRequest", facts.error);
  if (match.interceptor.api === "responses" && body.background === true) {
    const headers = new Headers({ "content-type": "application/json" });
    setRetryHints(501, headers);
    return new Response(
      JSON.stringify({
        code: "501",
        message: "background requests are currently not supported by AI Bridge",
      }),
      { status: 501, headers },
    );
  }
  flight.json = body;
  flight.facts = facts;
  flight.client = detectClient(request.headers, body);
}

/** Route and BYOK guard (`onBeforeHandle`), after authentication: unknown routes with a key are 404s. */
export function routeStep(options: RouteOptions) {
  return new Elysia({ name: "dataplane/route" })
    .use(flightSlot)
    .onBeforeHandle({ as: "scoped" }, async ({ flight, request }) => {
      const refused = await checkRoute(routed(flight), request, options);
      if (refused) return refused;
    });
}
