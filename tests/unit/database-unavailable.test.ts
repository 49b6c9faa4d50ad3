import { describe, expect, test } from "bun:test";

import { isDatabaseUnavailable } from "../../src/db/unavailable";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });
const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1\nparams: "), { cause });

describe("isDatabaseUnavailable", () => {
  test("connection states and socket errors, from postgres.js or the embedded engine", () => {
    for (const code of [
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
      "CONNECT_TIMEOUT",
      "ECONNREFUSED",
      "ECONNRESET",
      "EPIPE",
      "ETIMEDOUT",
      "EMBEDDED_DATABASE_CLOSED",
    ]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    }
  });

  test("SQLSTATE classes 08 and 57: connection exceptions, shutdowns, terminated backends", () => {
    for (const code of ["08000", "08003", "08006", "08P01", "57P01", "57P02", "57P03", "57014"]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    }
  });

  test("Bun's native client: its connection codes, and the SQLSTATE it reports in errno", () => {
    for (const code of [
      "ERR_POSTGRES_CONNECTION_CLOSED",
      "ERR_POSTGRES_CONNECTION_REFUSED",
      "ERR_POSTGRES_CONNECTION_TIMEOUT",
      "ERR_POSTGRES_IDLE_TIMEOUT",
    ]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    }
    const server = (errno: string) => Object.assign(withCode("ERR_POSTGRES_SERVER_ERROR"), { errno });
    expect(isDatabaseUnavailable(server("57P01"))).toBe(true);
    expect(isDatabaseUnavailable(server("08006"))).toBe(true);
    expect(isDatabaseUnavailable(server("23505"))).toBe(false);
    expect(isDatabaseUnavailable(withCode("ERR_POSTGRES_SERVER_ERROR"))).toBe(false);
    expect(isDatabaseUnavailable(withCode("ERR_POSTGRES_SYNTAX_ERROR"))).toBe(false);
  });

  test("a wrong statement or bad data is not unavailability", () => {
    for (const code of ["23505", "23503", "22P02", "42P01", "42703", "40001", "0800", "080000", "P0001"]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(false);
    }
  });

  test("the driver's error is found through Drizzle's wrapping, a few levels deep at most", () => {
    expect(isDatabaseUnavailable(wrapped(withCode("57P01")))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(wrapped(withCode("CONNECTION_CLOSED"))))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(withCode("23505")))).toBe(false);
    let deep: unknown = withCode("ECONNRESET");
    for (let i = 0; i < 6; i++) deep = wrapped(deep);
    expect(isDatabaseUnavailable(deep)).toBe(false);
  });

  test("anything else, including non-errors and a cycle, is not", () => {
    for (const value of [undefined, null, "ECONNRESET", 57, {}, new Error("boom"), { code: 8006 }]) {
      expect(isDatabaseUnavailable(value)).toBe(false);
    }
    const cycle: { code: string; cause?: unknown } = { code: "XX000" };
    cycle.cause = cycle;
    expect(isDatabaseUnavailable(cycle)).toBe(false);
  });
});
