import { describe, expect, test } from "bun:test";

import { type SseEvent, SseParser } from "../../src/bridge/sse";
import {
  byteByByte,
  everyTwoWaySplit,
  fixtureBytes,
  randomSplits,
  sseFixtures,
  withLineEnds,
} from "../fixtures/replay";

const encoder = new TextEncoder();

function parse(chunks: Iterable<string | Uint8Array>): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(typeof c === "string" ? encoder.encode(c) : c);
  parser.end();
  return events;
}

const ev = (data: string, event?: string, id?: string): SseEvent => ({ event, data, id });
const bytes = (...values: number[]) => new Uint8Array(values);

describe("SseParser: line ends", () => {
  test.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("%s", (_, nl) => {
    expect(parse([`event: a${nl}data: 1${nl}${nl}data: 2${nl}${nl}`])).toEqual([ev("1", "a"), ev("2")]);
  });

  test("mixed line ends in one stream", () => {
    expect(parse(["data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"])).toEqual([ev("a\nb\nc"), ev("d")]);
  });

  test("a CR ending one chunk and an LF opening the next are one line break", () => {
    expect(parse(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"])).toEqual([ev("a"), ev("b")]);
  });

  test("empty chunks between the CR and the LF do not break the pair", () => {
    expect(parse(["data: a\r", "", "", "\n", "\r", "", "\n"])).toEqual([ev("a")]);
  });

  test("a CR ending a chunk followed by a non-LF starts the next line", () => {
    expect(parse(["data: a\r", "data: b\r", "\r"])).toEqual([ev("a\nb")]);
  });

  test("a CR then a chunk holding only part of a UTF-8 character, then the rest", () => {
    const e = encoder.encode("é");
    expect(parse(["data: a\r", bytes(e[0]!), bytes(e[1]!), ": comment\r\n\n"])).toEqual([ev("a")]);
    // "é" opens a new line (an unknown field), so "a" and "b" belong to one event
    expect(parse(["data: a\r", bytes(e[0]!), bytes(e[1]!), "\ndata: b\n\n"])).toEqual([ev("a\nb")]);
  });

  test("two CRs are two line breaks even when split", () => {
    expect(parse(["data: x\r", "\r"])).toEqual([ev("x")]);
  });
});

describe("SseParser: fields", () => {
  test("multi-line data is joined with LF; comments, retry and unknown fields are ignored", () => {
    expect(parse([": comment\ndata:x\n:\ndata: y\nretry: 5\nfoo: bar\n\n"])).toEqual([ev("x\ny")]);
  });

  test("only one space after the colon is removed", () => {
    expect(parse(["data:  two spaces\n\ndata:\tTab\n\n"])).toEqual([ev(" two spaces"), ev("\tTab")]);
  });

  test("a field without a colon has an empty value; `data:` alone is empty data", () => {
    expect(parse(["data\n\ndata:\n\ndata\ndata\n\n"])).toEqual([ev(""), ev(""), ev("\n")]);
  });

  test("a value may contain colons", () => {
    expect(parse(['data: {"a":"b:c"}\n\n'])).toEqual([ev('{"a":"b:c"}')]);
  });

  test("field names are case-sensitive and must start the line", () => {
    expect(parse(["Data: x\n data: y\nDATA: z\n\n"])).toEqual([]);
  });

  test("an event without data is not dispatched and its type does not leak into the next event", () => {
    expect(parse(["event: ping\n\ndata: x\n\n"])).toEqual([ev("x")]);
  });

  test("an empty event type is the default type", () => {
    expect(parse(["event:\ndata: x\n\n"])).toEqual([ev("x")]);
  });

  test("the event type is reset after each dispatch; the last event field wins", () => {
    expect(parse(["event: a\nevent: b\ndata: 1\n\ndata: 2\n\n"])).toEqual([ev("1", "b"), ev("2")]);
  });

  test("the id persists across events; an empty id resets it; an id with NUL is ignored", () => {
    expect(parse(["id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n"])).toEqual([
      ev("a", undefined, "1"),
      ev("b", undefined, "1"),
      ev("c", undefined, "1"),
      ev("d", undefined, ""),
    ]);
  });

  test("an id without data still sets the last event id", () => {
    expect(parse(["id: 7\n\ndata: x\n\n"])).toEqual([ev("x", undefined, "7")]);
  });
});

describe("SseParser: BOM and UTF-8", () => {
  test("a leading BOM is skipped, even when split across chunks", () => {
    const bom = bytes(0xef, 0xbb, 0xbf);
    expect(parse([bom, "data: a\n\n"])).toEqual([ev("a")]);
    expect(parse([bom.subarray(0, 1), bom.subarray(1, 2), bom.subarray(2), "data: a\n\n"])).toEqual([
      ev("a"),
    ]);
    expect(parse(["\uFEFFdata: a\n\n"])).toEqual([ev("a")]);
  });

  test("only one BOM is skipped, and only at the start", () => {
    expect(parse(["\uFEFF\uFEFFdata: a\n\ndata: b\n\n"])).toEqual([ev("b")]);
    expect(parse(["data: a\uFEFF\n\n"])).toEqual([ev("a\uFEFF")]);
  });

  test("multi-byte characters split at every byte give the same text", () => {
    const text = "data: é🌍世界 — ✓\n\n";
    const b = encoder.encode(text);
    for (const parts of everyTwoWaySplit(b)) expect(parse(parts)).toEqual([ev("é🌍世界 — ✓")]);
    expect(parse(byteByByte(b))).toEqual([ev("é🌍世界 — ✓")]);
  });

  test("invalid UTF-8 becomes U+FFFD rather than throwing", () => {
    expect(parse([bytes(0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a)])).toEqual([ev("\uFFFD")]);
  });
});

describe("SseParser: end of stream", () => {
  test("an unterminated event at the end is discarded", () => {
    expect(parse(["data: done\n\ndata: partial"])).toEqual([ev("done")]);
    expect(parse(["data: done\n\ndata: partial\n"])).toEqual([ev("done")]);
  });

  test("a stream ending in a CR dispatches its last event", () => {
    expect(parse(["data: x\r\r"])).toEqual([ev("x")]);
  });

  test("an empty stream yields nothing; empty chunks are harmless", () => {
    expect(parse([])).toEqual([]);
    expect(parse(["", "", ""])).toEqual([]);
  });

  test("a long line spread over many chunks", () => {
    const long = "x".repeat(100_000);
    const b = encoder.encode(`data: ${long}\n\n`);
    const parts = [...randomSplits(b, 1, 997)][0]!;
    expect(parse(parts)).toEqual([ev(long)]);
  });

  test("events are delivered as soon as their blank line arrives", () => {
    const seen: string[] = [];
    const parser = new SseParser((e) => seen.push(e.data));
    parser.push(encoder.encode("data: a\n"));
    expect(seen).toEqual([]);
    parser.push(encoder.encode("\ndata: b\n"));
    expect(seen).toEqual(["a"]);
    parser.push(encoder.encode("\n"));
    expect(seen).toEqual(["a", "b"]);
  });
});

describe("SseParser over the provider fixtures", () => {
  const fixtures = sseFixtures();

  test("there are fixtures for all three APIs", () => {
    expect(fixtures.some((f) => f.startsWith("anthropic/"))).toBe(true);
    expect(fixtures.some((f) => f.startsWith("openai-chat/"))).toBe(true);
    expect(fixtures.some((f) => f.startsWith("openai-responses/"))).toBe(true);
  });

  describe.each(fixtures)("%s", (name) => {
    const raw = fixtureBytes(name);
    const expected = parse([raw]);
    const text = new TextDecoder().decode(raw);

    test("one event per data line, each `event:` type kept", () => {
      const dataLines = text.split("\n").filter((l) => l.startsWith("data: "));
      expect(expected.map((e) => e.data)).toEqual(dataLines.map((l) => l.slice("data: ".length)));
      const types = text
        .split("\n\n")
        .filter((block) => block.includes("data: "))
        .map((block) => /^event: (.*)$/m.exec(block)?.[1]);
      expect(expected.map((e) => e.event)).toEqual(types);
    });

    for (const [label, variant] of [
      ["LF", raw],
      ["CRLF", withLineEnds(raw, "\r\n")],
      ["CR", withLineEnds(raw, "\r")],
    ] as const) {
      test(`${label}: cut at every byte boundary, at random and byte by byte, the events are identical`, () => {
        const mismatches: string[] = [];
        const check = (parts: Uint8Array[], what: string) => {
          if (JSON.stringify(parse(parts)) !== JSON.stringify(expected)) mismatches.push(what);
        };
        let i = 0;
        for (const parts of everyTwoWaySplit(variant)) check(parts, `split at ${i++}`);
        i = 0;
        for (const parts of randomSplits(variant, 100, 64)) check(parts, `random run ${i++}`);
        check(byteByByte(variant), "byte by byte");
        expect(mismatches).toEqual([]);
      });
    }
  });
});
