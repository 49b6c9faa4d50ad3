import { describe, expect, test } from "bun:test";

import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { BODY_LIMITS, BodyIdleError, BodyTooLargeError, readBody } from "../../src/bridge/read-body";
import { dataPlaneErrorResponse } from "../../src/dataplane/errors";
import { Flight } from "../../src/dataplane/flight";
import { readBodyOrThrow } from "../../src/dataplane/request-body";
import { silentLogger } from "../../src/observability/logger";

const encoder = new TextEncoder();

/** A request whose body is the given chunks, then (unless `end` is false) its end. */
function streamed(chunks: string[], end = true, headers: Record<string, string> = {}) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (end) controller.close();
    },
  });
  return new Request("http://gw/x", { method: "POST", body, headers });
}

describe("readBody (SPEC §13)", () => {
  test("the limits are 32 MiB and 30 s", () => {
    expect(BODY_LIMITS).toEqual({ maxBytes: 32 * 1024 * 1024, idleTimeoutMs: 30_000 });
  });

  test("reads a body whole, in one chunk or many; no body is empty", async () => {
    const limits = { maxBytes: 100, idleTimeoutMs: 60_000 };
    const one = await readBody(new Request("http://gw/x", { method: "POST", body: '{"a":1}' }), limits);
    expect(new TextDecoder().decode(one)).toBe('{"a":1}');
    const many = await readBody(streamed(["{", '"a"', ":", "1}"]), limits);
    expect(new TextDecoder().decode(many)).toBe('{"a":1}');
    expect((await readBody(new Request("http://gw/x"), limits)).byteLength).toBe(0);
  });

  test("more than the limit is refused: declared before reading, or counted while reading", async () => {
    const limits = { maxBytes: 10, idleTimeoutMs: 60_000 };
    const declared = streamed([], false, { "content-length": "11" });
    await expect(readBody(declared, limits)).rejects.toBeInstanceOf(BodyTooLargeError);
    await expect(readBody(streamed(["12345", "67890", "1"]), limits)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
    expect((await readBody(streamed(["12345", "67890"]), limits)).byteLength).toBe(10);
  });

  test("a body that stops sending is given up after the idle timeout", async () => {
    const limits = { maxBytes: 100, idleTimeoutMs: 20 };
    await expect(readBody(streamed(['{"mo'], false), limits)).rejects.toBeInstanceOf(BodyIdleError);
    await expect(readBody(streamed([], false), limits)).rejects.toBeInstanceOf(BodyIdleError);
  });

  test("a small declared body is read in one piece, under the same idle timeout and size limit", async () => {
    const limits = { maxBytes: 8, idleTimeoutMs: 20 };
    const declared = (chunks: string[], end: boolean, length: number) =>
      streamed(chunks, end, { "content-length": String(length) });
    expect(new TextDecoder().decode(await readBody(declared(["{", "}"], true, 2), limits))).toBe("{}");
    await expect(readBody(declared(["{"], false, 2), limits)).rejects.toBeInstanceOf(BodyIdleError);
    // A body longer than it declared is still held to the limit.
    await expect(readBody(declared(["123456789"], true, 4), limits)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
  });

  test("refusals are provider-shaped: 413, 408, 400", async () => {
    const flight = new Flight();
    flight.provider = anthropicProvider({ baseUrl: "http://up/", key: "" });
    const limits = { maxBytes: 4, idleTimeoutMs: 20 };
    /** The answer the chain's onError step gives to the refusal. */
    const readBodyOrRefuse = (_flight: Flight, request: Request, l: typeof limits) =>
      readBodyOrThrow(request, l).catch((error) => dataPlaneErrorResponse(flight, error, silentLogger));
    const tooLarge = (await readBodyOrRefuse(flight, streamed(["12345"]), limits)) as Response;
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).error.type).toBe("request_too_large");
    const stalled = (await readBodyOrRefuse(flight, streamed(["1"], false), limits)) as Response;
    expect(stalled.status).toBe(408);
    expect((await stalled.json()).error.type).toBe("invalid_request_error");
    const broken = new Request("http://gw/x", {
      method: "POST",
      body: new ReadableStream({
        pull(controller) {
          controller.error(new Error("connection reset"));
        },
      }),
    });
    expect(((await readBodyOrRefuse(flight, broken, limits)) as Response).status).toBe(400);
    const fine = await readBodyOrRefuse(flight, streamed(["1234"]), limits);
    expect(fine).toBeInstanceOf(Uint8Array);
  });
});
