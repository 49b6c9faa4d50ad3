import { Elysia } from "elysia";

import { flightSlot } from "./context";
import type { Flight } from "./flight";

/** Adds the flight's headers (rate-limit state, interception id) and `Server-Timing` to its answer. */
export function addResponseHeaders(flight: Flight, response: Response): void {
  const headers = response.headers;
  flight.responseHeaders.forEach((value, name) => {
    headers.set(name, value);
  });
  if (flight.upstreamMs !== undefined) {
    const gatewayMs = Math.max(0, performance.now() - flight.startedPerf - flight.upstreamMs);
    headers.set(
      "server-timing",
      `gateway;dur=${gatewayMs.toFixed(2)}, upstream;dur=${flight.upstreamMs.toFixed(2)}`,
    );
  }
}

/** `mapResponse`: every data-plane answer, refusals and errors included, gets the flight's headers (SPEC §8.1). */
export function responseHeadersStep() {
  return new Elysia({ name: "dataplane/response-headers" })
    .use(flightSlot)
    .mapResponse({ as: "scoped" }, ({ flight, response }) => {
      if (flight && response instanceof Response) addResponseHeaders(flight, response);
    });
}
