import { describe, expect, test } from "bun:test";

import { type IdentityCache, IdentityChangeHandler } from "../../src/cluster/identity-listener.ts";

function setup() {
  const calls: string[] = [];
  const cache: IdentityCache = {
    forgetUser: (id) => calls.push(`user ${id}`),
    forgetKey: (id) => calls.push(`key ${id}`),
    forgetAll: () => calls.push("all"),
  };
  const logs: string[] = [];
  const handler = new IdentityChangeHandler(cache, { info: (msg) => logs.push(msg) });
  return { calls, logs, handler };
}

describe("IdentityChangeHandler", () => {
  test("a key change forgets that key; a user change forgets that user", () => {
    const { calls, handler } = setup();
    handler.onNotify('{"key_id":"abcdefghij"}');
    handler.onNotify('{"user_id":"5d0c3a6e-5b43-4c5f-9e0b-0e9d3f1f6a11"}');
    expect(calls).toEqual(["key abcdefghij", "user 5d0c3a6e-5b43-4c5f-9e0b-0e9d3f1f6a11"]);
  });

  test("a payload it does not understand forgets everything", () => {
    const { calls, handler } = setup();
    for (const payload of ["", "not json", "null", "42", '{"key_id":7}', '{"other":"x"}', "[]"]) {
      handler.onNotify(payload);
    }
    expect(calls).toEqual(Array(7).fill("all"));
  });

  test("the first LISTEN keeps the cache; every later one (a reconnection) drops it once and says so", () => {
    const { calls, logs, handler } = setup();
    handler.onListen();
    expect(calls).toEqual([]);
    handler.onListen();
    expect(calls).toEqual(["all"]);
    expect(logs).toHaveLength(1);
    handler.onListen();
    expect(calls).toEqual(["all", "all"]);
  });
});
