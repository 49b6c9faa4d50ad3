import { describe, expect, test } from "bun:test";

import { storableJson, storableNullableText, storableText } from "../../src/recorder/storable-text";

describe("storableText", () => {
  test("text PostgreSQL can store is returned as it is (the same string)", () => {
    for (const text of ["", "hello", "é 漢 🦜", "\uFFFD", "tab\tnew\nline", "\u0001\u007f"]) {
      expect(storableText(text)).toBe(text);
    }
  });
  test("NUL becomes U+FFFD, every one of them", () => {
    expect(storableText("a\u0000b\u0000")).toBe("a\uFFFDb\uFFFD");
    expect(storableText("\u0000")).toBe("\uFFFD");
  });
  test("lone surrogates become U+FFFD; paired ones are kept", () => {
    expect(storableText("x\ud800y")).toBe("x\uFFFDy");
    expect(storableText("x\udc00")).toBe("x\uFFFD");
    expect(storableText("\udc00\ud800")).toBe("\uFFFD\uFFFD");
    expect(storableText("🦜\ud83e")).toBe("🦜\uFFFD");
    expect(storableText("\u0000\ud800🦜")).toBe("\uFFFD\uFFFD🦜");
  });
  test("null passes through the nullable form", () => {
    expect(storableNullableText(null)).toBeNull();
    expect(storableNullableText("a\u0000")).toBe("a\uFFFD");
  });
});

describe("storableJson", () => {
  test("a value with nothing to replace is returned as it is (the same object)", () => {
    const value = { a: 1, b: ["x", { c: null, d: true }], e: "é" };
    expect(storableJson(value)).toBe(value);
    expect(storableJson(5)).toBe(5);
    expect(storableJson(null)).toBeNull();
  });
  test("strings at any depth, keys included, are made storable without changing the input", () => {
    const value: unknown = { "k\u0000": "v\ud800", list: [1, "a\u0000", { deep: ["\udfff"] }], ok: "fine" };
    const before = JSON.stringify(value);
    expect(storableJson(value)).toEqual({
      "k\uFFFD": "v\uFFFD",
      list: [1, "a\uFFFD", { deep: ["\uFFFD"] }],
      ok: "fine",
    });
    expect(JSON.stringify(value)).toBe(before);
  });
  test("a top-level string is made storable", () => {
    expect(storableJson("\u0000")).toBe("\uFFFD");
  });
});
