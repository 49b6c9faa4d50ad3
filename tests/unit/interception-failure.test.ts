import { describe, expect, test } from "bun:test";

import {
  cleanErrorMessage,
  connectionFailure,
  failureTypeOfStatus,
  MAX_ERROR_MESSAGE,
  upstreamErrorMessage,
  upstreamFailure,
} from "../../src/bridge/interception-failure";

describe("failureTypeOfStatus", () => {
  test.each([
    [200, null],
    [204, null],
    [304, null],
    [400, "bad_request"],
    [404, "bad_request"],
    [413, "bad_request"],
    [422, "bad_request"],
    [401, "unauthorized"],
    [403, "unauthorized"],
    [408, "timeout"],
    [504, "timeout"],
    [429, "rate_limited"],
    [503, "overloaded"],
    [529, "overloaded"],
    [499, "client_disconnected"],
    [500, "server_error"],
    [502, "server_error"],
    [600, "unknown"],
  ])("%d → %p", (status, type) => {
    expect(failureTypeOfStatus(status)).toBe(type as never);
  });
});

describe("upstreamErrorMessage", () => {
  test("the providers' error shapes", () => {
    expect(
      upstreamErrorMessage(
        529,
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      ),
    ).toBe("Overloaded");
    expect(
      upstreamErrorMessage(429, '{"error":{"message":"Rate limit reached for gpt-4o","type":"requests"}}'),
    ).toBe("Rate limit reached for gpt-4o");
    expect(upstreamErrorMessage(503, '{"message":"AI Bridge is at capacity"}')).toBe(
      "AI Bridge is at capacity",
    );
    expect(upstreamErrorMessage(502, '{"error":"bad gateway"}')).toBe("bad gateway");
  });

  test("plain text bodies are kept; empty, JSON without a message or huge ones fall back to the status", () => {
    expect(upstreamErrorMessage(502, "Bad Gateway\n")).toBe("Bad Gateway");
    expect(upstreamErrorMessage(500, null)).toBe("upstream answered 500");
    expect(upstreamErrorMessage(500, "  ")).toBe("upstream answered 500");
    expect(upstreamErrorMessage(500, '{"error":{"code":1}}')).toBe("upstream answered 500");
    expect(upstreamErrorMessage(500, "x".repeat(5000))).toBe("upstream answered 500");
  });
});

describe("cleanErrorMessage", () => {
  test("masks provider keys, bearer tokens, aibridge keys and the given secrets", () => {
    const text =
      "Incorrect API key provided: sk-proj-abcdEFGH1234****wxyz. Bearer abc.def.ghi123 key ABCDEFGHIJ-abcdefghijklmnopqrstuv and my-configured-secret-1";
    const clean = cleanErrorMessage(text, ["my-configured-secret-1", "short"]);
    expect(clean).not.toContain("sk-proj");
    expect(clean).not.toContain("abc.def");
    expect(clean).not.toContain("ABCDEFGHIJ-");
    expect(clean).not.toContain("my-configured-secret-1");
    expect(clean).toContain("Incorrect API key provided: [redacted]");
  });

  test("NUL and lone surrogates become U+FFFD; at most 1024 characters, never a split pair", () => {
    expect(cleanErrorMessage("a\u0000b\uD800c")).toBe("a\uFFFDb\uFFFDc");
    const long = cleanErrorMessage("😀".repeat(2000));
    expect(long.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(long.isWellFormed()).toBe(true);
    expect(long.endsWith("…")).toBe(true);
    expect(cleanErrorMessage("x".repeat(MAX_ERROR_MESSAGE))).toHaveLength(MAX_ERROR_MESSAGE);
  });
});

test("upstreamFailure and connectionFailure", () => {
  expect(upstreamFailure(200, "{}")).toBeNull();
  expect(upstreamFailure(401, '{"error":{"message":"invalid x-api-key"}}')).toEqual({
    type: "unauthorized",
    message: "invalid x-api-key",
  });
  expect(connectionFailure("Unable to connect. Is the computer able to access the url?").type).toBe(
    "server_error",
  );
  expect(connectionFailure("The operation timed out.")).toEqual({
    type: "timeout",
    message: "could not reach the upstream: The operation timed out.",
  });
});
