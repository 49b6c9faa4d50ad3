import { describe, expect, test } from "bun:test";

import { type SseEvent, SseParser } from "../../src/bridge/sse";

const encoder = new TextEncoder();

function parse(chunks: (string | Uint8Array)[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(typeof c === "string" ? encoder.encode(c) : c);
  parser.end();
  return events;
}

/** Every way of cutting `bytes` in two, plus seeded random multi-cuts. */
function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.slice(0, i), bytes.slice(i)];
  let seed = 7;
  for (let n = 0; n < 200; n++) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; ) {
      seed = (seed * 48_271) % 2_147_483_647;
      const size = 1 + (seed % 9);
      parts.push(bytes.slice(i, i + size));
      i += size;
    }
    yield parts;
  }
}

const ev = (data: string, event?: string, id?: string): SseEvent => ({ event, data, id });

describe("SseParser", () => {
  test("LF, CRLF and CR line ends", () => {
    for (const nl of ["\n", "\r\n", "\r"]) {
      expect(parse([`event: a${nl}data: 1${nl}${nl}data: 2${nl}${nl}`])).toEqual([ev("1", "a"), ev("2")]);
    }
  });
  test("multi-line data, comments, no space after the colon, unknown fields", () => {
    expect(parse([": comment\ndata:x\ndata: y\nretry: 5\nfoo: bar\n\n"])).toEqual([ev("x\ny")]);
  });
  test("an event without data is not dispatched; a field with no colon is a field with empty value", () => {
    expect(parse(["event: ping\n\ndata\n\n"])).toEqual([ev("")]);
  });
  test("id persists as the last event id; a leading BOM is skipped", () => {
    expect(parse(["\uFEFFid: 1\ndata: a\n\ndata: b\n\n"])).toEqual([
      ev("a", undefined, "1"),
      ev("b", undefined, "1"),
    ]);
  });
  test("an unterminated event at the end is discarded", () => {
    expect(parse(["data: done\n\ndata: partial"])).toEqual([ev("done")]);
  });
  test("a CR at the end of one chunk and LF at the start of the next is one line break", () => {
    expect(parse(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"])).toEqual([ev("a"), ev("b")]);
    expect(parse(["data: a\r", "", "\n", "\r\n"])).toEqual([ev("a")]);
  });

  const fixture = [
    "event: message_start\r\n",
    `data: ${JSON.stringify({ type: "message_start", message: { id: "msg_1", content: "héllo 🌍 世界" } })}\r\n\r\n`,
    ": keep-alive\n\n",
    "event: content_block_delta\n",
    'data: {"text":"multi\n',
    'data: line ✓"}\n\n',
    "data: [DONE]\r\r",
  ].join("");
  const bytes = encoder.encode(fixture);
  const expected = parse([fixture]);

  test("the fixture parses as expected", () => {
    expect(expected).toHaveLength(3);
    expect(expected[0]!.data).toContain("🌍 世界");
    expect(expected[1]).toEqual(ev('{"text":"multi\nline ✓"}', "content_block_delta"));
    expect(expected[2]).toEqual(ev("[DONE]"));
  });
  test("split at every byte boundary and at random multi-cuts, the events are identical", () => {
    for (const parts of splits(bytes)) expect(parse(parts)).toEqual(expected);
  });
});
