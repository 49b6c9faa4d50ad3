import { detectClient } from "./client-detection";
import { decideCredential } from "./credentials";
import { providerError, setRetryHints } from "./error-response";
import type { Flight } from "./flight";
import { jsonNestedDeeperThan, MAX_JSON_DEPTH } from "./json-depth";
import type { RouteMatch } from "./providers/types";
import { BODY_LIMITS, type BodyLimits, readBodyOrRefuse } from "./read-body";

/**
 * Fourth step: the route (404/405), the provider credential (403/502) and, for intercepted routes,
 * the JSON body and what it says (400/408/413/501). Nothing refused here reaches upstream.
 */
export function routeHook(options: { allowByok: boolean; bodyLimits?: BodyLimits }) {
  const bodyLimits = options.bodyLimits ?? BODY_LIMITS;
  return async ({
    flight,
    request,
    match,
  }: {
    flight: Flight;
    request: Request;
    match: RouteMatch | null;
  }) => {
    if (!flight.provider || !match)
      return providerError(flight, 404, "notFound", `unknown provider ${flight.providerName}`);
    if (match.kind === "not-found") {
      return providerError(flight, 404, "notFound", `Unknown route: ${request.method} ${flight.path}`);
    }
    if (match.kind === "method-not-allowed") {
      return providerError(
        flight,
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
    if (!decision.ok) return providerError(flight, decision.status, decision.kind, decision.message);
    flight.credential = { plan: decision.plan, kind: decision.kind, hint: decision.hint };
    if (match.kind !== "intercepted") return;

    const read = await readBodyOrRefuse(flight, request, bodyLimits);
    if (read instanceof Response) return read;
    flight.body = read;
    const text = new TextDecoder().decode(flight.body);
    // Checked before parsing: what reads the parsed body later (re-serializing, recording) recurses.
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      return providerError(
        flight,
        400,
        "invalidRequest",
        `Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return providerError(flight, 400, "invalidRequest", "Request body is not valid JSON.");
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return providerError(flight, 400, "invalidRequest", "Request body must be a JSON object.");
    }
    const body = json as Record<string, unknown>;
    const facts = match.interceptor.parseRequest(body);
    if ("error" in facts) return providerError(flight, 400, "invalidRequest", facts.error);
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
  };
}
