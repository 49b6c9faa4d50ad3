import { describe, expect, test } from "bun:test";

import { DrizzleQueryError } from "drizzle-orm/errors";

import { errorFields } from "../../src/observability/error-fields";
import { createLogger } from "../../src/observability/logger";

// What a failed management query carries: the new key's secret hash, a user's email, a body value.
const SECRET_HASH = "\\x8f3a9c2e77d1b0aa6e1f";
const EMAIL = "alice@example.com";
const BODY_VALUE = "prompt text from a request body";

function failedQuery() {
  const database = Object.assign(new Error(`invalid input syntax for type uuid: "${BODY_VALUE}"`), {
    code: "22P02",
    detail: `Key (email)=(${EMAIL}) already exists.`,
  });
  return new DrizzleQueryError(
    'insert into "api_keys" ("id", "hashed_secret", "name") values ($1, $2, $3)',
    ["key-id", SECRET_HASH, EMAIL, BODY_VALUE],
    database,
  );
}

function logged(format: "json" | "human", fields: Record<string, unknown>): string {
  const lines: string[] = [];
  createLogger(format, (line) => lines.push(line)).error("request failed", fields);
  return lines.join("");
}

describe("logged errors carry no SQL parameters, key hashes or request values", () => {
  for (const format of ["json", "human"] as const) {
    test(`${format}: a failed query, at any depth`, () => {
      const error = failedQuery();
      const wrapped = new Error("management request failed", { cause: new Error("step", { cause: error }) });
      for (const fields of [{ error }, { context: { nested: [error] } }, { error: wrapped }]) {
        const text = logged(format, fields);
        expect(text).toContain("request failed");
        for (const secret of [SECRET_HASH, EMAIL, BODY_VALUE, "params:"]) expect(text).not.toContain(secret);
      }
    });
  }

  test("what is kept says what failed: the statement with its placeholders, the SQLSTATE, the message", () => {
    expect(errorFields(failedQuery())).toEqual({
      name: "Error",
      message: 'Failed query: insert into "api_keys" ("id", "hashed_secret", "name") values ($1, $2, $3)',
      cause: { name: "Error", code: "22P02", message: 'invalid input syntax for type uuid: "…"' },
    });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(errorFields(refused)).toEqual({
      name: "Error",
      code: "ECONNREFUSED",
      message: "connect ECONNREFUSED 127.0.0.1:5432",
    });
  });

  test("an error message that embeds parameters after the statement is cut there", () => {
    const error = new Error(`Failed query: select 1\nparams: ${EMAIL}`);
    expect(errorFields(error).message).toBe("Failed query: select 1");
  });
});
