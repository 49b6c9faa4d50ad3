import { Elysia } from "elysia";

import type { Provider } from "../bridge/providers/types";
import { type Flight, flightOf } from "./flight";

/** Declares the per-request context on Elysia's context; every step plugin uses it for its type. */
export const flightSlot = new Elysia({ name: "dataplane/flight" }).decorate(
  "flight",
  undefined as Flight | undefined,
);

/**
 * Creates the per-request context. `onRequest` runs before routing, for every path: requests to a
 * configured provider get their flight there, so the cheapest refusals (concurrency, rate limit)
 * come first; a data-plane path naming no configured provider gets it once routed.
 */
export function dataPlaneContext(providers: Map<string, Provider>) {
  return new Elysia({ name: "dataplane/context" })
    .use(flightSlot)
    .onRequest((c) => {
      const flight = flightOf(c.request, providers, true);
      if (flight) c.flight = flight;
    })
    .resolve({ as: "scoped" }, ({ flight, request }) => {
      if (!flight) return { flight: flightOf(request, providers, false)! };
    });
}

/** The flight of a routed data-plane request (set by `dataPlaneContext`). */
export function routed(flight: Flight | undefined): Flight {
  if (!flight) throw new Error("data-plane step without a flight");
  return flight;
}
