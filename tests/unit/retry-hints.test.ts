import { describe, expect, test } from "bun:test";

import { providerError, setRetryHints } from "../../src/bridge/error-response";
import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { Flight } from "../../src/dataplane/flight";
import { addResponseHeaders } from "../../src/dataplane/response-headers";

const hints = (status: number, given: Record<string, string> = {}) => {
  const headers = new Headers(given);
  setRetryHints(status, headers);
  return { shouldRetry: headers.get("x-should-retry"), retryAfter: headers.get("retry-after") };
};

describe("retry hints (SPEC §13)", () => {
  test.each([400, 401, 403, 404, 405, 413, 501])("%p → x-should-retry: false, no Retry-After", (status) => {
    expect(hints(status)).toEqual({ shouldRetry: "false", retryAfter: null });
  });
  test.each([429, 503])("%p → Retry-After (1 s unless its maker set one), never x-should-retry", (status) => {
    expect(hints(status)).toEqual({ shouldRetry: null, retryAfter: "1" });
    expect(hints(status, { "retry-after": "7" })).toEqual({ shouldRetry: null, retryAfter: "7" });
  });
  test.each([200, 408, 500, 502])("%p → no hint: a retry may well succeed", (status) => {
    expect(hints(status)).toEqual({ shouldRetry: null, retryAfter: null });
  });
  test("providerError applies them; the response-headers step keeps the flight's own headers", () => {
    const flight = new Flight();
    flight.provider = anthropicProvider({ baseUrl: "http://up/", key: "" });
    flight.responseHeaders.set("x-ratelimit-limit", "5");
    const res = providerError(flight.provider, 401, "authentication", "no");
    addResponseHeaders(flight, res);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    const busy = providerError(flight.provider, 503, "overloaded", "busy", { "retry-after": "3" });
    expect(busy.headers.get("retry-after")).toBe("3");
  });
});
