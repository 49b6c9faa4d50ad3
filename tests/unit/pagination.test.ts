import { describe, expect, test } from "bun:test";

import { parsePagination, type RawPagination } from "../../src/api/pagination";

const UUID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const MESSAGE = "Query parameters have invalid values.";
const cursor = { allowCursor: true };
const noCursor = { allowCursor: false };
const limitError = (raw: string) => ({
  field: "limit",
  detail: `limit must be an integer from 1 to 1000 (0 or absent means 100); got "${raw}".`,
});
const offsetError = (raw: string) => ({
  field: "offset",
  detail: `offset must be an integer from 0 to 2147483647; got "${raw}".`,
});
const afterIdError = (raw: string) => ({
  field: "after_id",
  detail: `after_id must be a UUID; got "${raw}".`,
});

describe("parsePagination: valid", () => {
  const cases: [RawPagination, { limit: number; offset: number; afterId: string | null }][] = [
    [{}, { limit: 100, offset: 0, afterId: null }],
    [
      { limit: "", offset: "", after_id: "" },
      { limit: 100, offset: 0, afterId: null },
    ],
    [{ limit: "0" }, { limit: 100, offset: 0, afterId: null }],
    [{ limit: "00" }, { limit: 100, offset: 0, afterId: null }],
    [{ limit: "1" }, { limit: 1, offset: 0, afterId: null }],
    [{ limit: "25" }, { limit: 25, offset: 0, afterId: null }],
    [{ limit: "007" }, { limit: 7, offset: 0, afterId: null }],
    [{ limit: "1000" }, { limit: 1000, offset: 0, afterId: null }],
    [{ offset: "0" }, { limit: 100, offset: 0, afterId: null }],
    [{ offset: "50" }, { limit: 100, offset: 50, afterId: null }],
    [{ offset: "2147483647" }, { limit: 100, offset: 2147483647, afterId: null }],
    [{ after_id: UUID }, { limit: 100, offset: 0, afterId: UUID }],
    [{ after_id: UUID.toUpperCase() }, { limit: 100, offset: 0, afterId: UUID }],
    [
      { after_id: UUID, offset: "0", limit: "10" },
      { limit: 10, offset: 0, afterId: UUID },
    ],
  ];
  for (const [raw, expected] of cases) {
    test(JSON.stringify(raw), () => {
      expect(parsePagination(raw, cursor)).toEqual({ ok: true, ...expected });
    });
  }
});

describe("parsePagination: invalid limit and offset", () => {
  for (const raw of [
    "-1",
    "1001",
    "1.5",
    "abc",
    "1e3",
    " 5",
    "5 ",
    "+5",
    "-0",
    "0x10",
    "１０",
    "Infinity",
    "NaN",
    "99999999999999999999",
  ]) {
    test(`limit ${JSON.stringify(raw)}`, () => {
      expect(parsePagination({ limit: raw }, cursor)).toEqual({
        ok: false,
        message: MESSAGE,
        validations: [limitError(raw)],
      });
    });
  }
  for (const raw of ["-1", "1.5", "abc", "1e3", " 5", "+5", "2147483648", "99999999999999999999"]) {
    test(`offset ${JSON.stringify(raw)}`, () => {
      expect(parsePagination({ offset: raw }, noCursor)).toEqual({
        ok: false,
        message: MESSAGE,
        validations: [offsetError(raw)],
      });
    });
  }
  test("reports every bad parameter", () => {
    expect(parsePagination({ limit: "x", offset: "-2", after_id: "nope" }, cursor)).toEqual({
      ok: false,
      message: MESSAGE,
      validations: [limitError("x"), offsetError("-2"), afterIdError("nope")],
    });
  });
});

describe("parsePagination: after_id", () => {
  for (const raw of ["nope", "123", `${UUID}x`, UUID.replaceAll("-", ""), `{${UUID}}`, ` ${UUID}`]) {
    test(`rejects ${JSON.stringify(raw)}`, () => {
      expect(parsePagination({ after_id: raw }, cursor)).toEqual({
        ok: false,
        message: MESSAGE,
        validations: [afterIdError(raw)],
      });
    });
  }

  test("with a non-zero offset is the exact reference error", () => {
    expect(parsePagination({ after_id: UUID, offset: "10" }, cursor)).toEqual({
      ok: false,
      message: "Query parameters have invalid values.",
      detail: "Cannot use both after_id and offset pagination in the same request.",
    });
  });

  test("with a non-zero offset and another bad parameter carries both", () => {
    expect(parsePagination({ after_id: UUID, offset: "10", limit: "2000" }, cursor)).toEqual({
      ok: false,
      message: MESSAGE,
      detail: "Cannot use both after_id and offset pagination in the same request.",
      validations: [limitError("2000")],
    });
  });

  test("is ignored when the route has no cursor", () => {
    expect(parsePagination({ after_id: UUID, offset: "10" }, noCursor)).toEqual({
      ok: true,
      limit: 100,
      offset: 10,
      afterId: null,
    });
    expect(parsePagination({ after_id: "garbage" }, noCursor)).toEqual({
      ok: true,
      limit: 100,
      offset: 0,
      afterId: null,
    });
  });
});

describe("parsePagination: randomized", () => {
  test("never throws and ok results are always in range", () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const alphabet = ["0", "1", "9", "-", "+", ".", "e", " ", "x", "１", "\u0000", "a", "f"];
    const randomText = () => {
      if (next() < 0.2) return undefined;
      let s = "";
      const length = Math.floor(next() * 8);
      for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)]!;
      return s;
    };
    for (let n = 0; n < 5000; n++) {
      const raw: RawPagination = {};
      const limit = randomText();
      const offset = randomText();
      if (limit !== undefined) raw.limit = limit;
      if (offset !== undefined) raw.offset = offset;
      if (next() < 0.3) raw.after_id = next() < 0.5 ? UUID : (randomText() ?? "");
      const result = parsePagination(raw, { allowCursor: next() < 0.5 });
      if (result.ok) {
        expect(Number.isInteger(result.limit) && result.limit >= 1 && result.limit <= 1000).toBe(true);
        expect(Number.isInteger(result.offset) && result.offset >= 0 && result.offset <= 2 ** 31 - 1).toBe(
          true,
        );
        if (result.afterId !== null) expect(result.offset).toBe(0);
      } else {
        expect(result.message).toBe(MESSAGE);
        expect(result.detail !== undefined || (result.validations?.length ?? 0) > 0).toBe(true);
        for (const v of result.validations ?? []) {
          expect(v.field.length).toBeGreaterThan(0);
          expect(v.detail.length).toBeGreaterThan(0);
        }
      }
    }
  });
});
