import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { RemotePglite } from "../../src/db/pglite-remote";

// The embedded database runs on a worker thread; this is the contract the rest of the code relies on.

let dir = "";
let db: RemotePglite;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aibridge-remote-"));
  db = await RemotePglite.open(dir);
  await db.query("CREATE TABLE t (id int PRIMARY KEY, at timestamptz, raw bytea)");
}, 60_000);
afterAll(async () => {
  await db.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

// bun's `expect(promise).rejects` waits without delivering worker messages: await the promise here.
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => new Error("expected a rejection"),
    (error) => error,
  );

const ids = async () =>
  (await db.query<{ id: number }>("SELECT id FROM t ORDER BY id")).rows.map((r) => r.id);

describe("the embedded database on its own thread", () => {
  test("parameters and results cross the thread intact, in both row modes", async () => {
    const raw = new Uint8Array([0, 1, 254, 255]);
    await db.query("INSERT INTO t VALUES ($1, $2, $3)", [1, "2025-01-02T03:04:05.678Z", raw]);
    const object = await db.query<{ id: number; raw: Uint8Array }>(
      "SELECT id, raw FROM t WHERE id = $1",
      [1],
    );
    expect(object.rows).toEqual([{ id: 1, raw }]);
    const array = await db.query("SELECT id FROM t", [], { rowMode: "array" });
    expect(array.rows).toEqual([[1]]);
  });

  test("date and time types stay text when the caller's parsers ask for it (as drizzle's do)", async () => {
    const parsed = await db.query<{ at: unknown }>("SELECT at FROM t WHERE id = 1");
    expect(parsed.rows[0]!.at).toBeInstanceOf(Date);
    const text = await db.query<{ at: unknown }>("SELECT at FROM t WHERE id = 1", [], {
      parsers: { 1184: (value: string) => value },
    });
    expect(typeof text.rows[0]!.at).toBe("string");
  });

  test("a transaction commits when its function resolves and rolls back when it throws", async () => {
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id) VALUES (2)");
    });
    const failed = await rejection(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t (id) VALUES (3)");
        throw new Error("changed my mind");
      }),
    );
    expect(String(failed)).toContain("changed my mind");
    expect(await ids()).toEqual([1, 2]);
  });

  test("a statement outside a transaction waits for it to end instead of joining it", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES (4)");
      await held;
      throw new Error("roll back");
    });
    await Bun.sleep(0);
    const outside = db.query("INSERT INTO t (id) VALUES (5)");
    release();
    expect(String(await rejection(tx))).toContain("roll back");
    await outside;
    expect(await ids()).toEqual([1, 2, 5]);
  });

  test("database errors keep their SQLSTATE code; after close every call fails at once", async () => {
    const duplicate = (await rejection(db.query("INSERT INTO t (id) VALUES (1)"))) as Error & {
      code?: string;
    };
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate.code).toBe("23505");
    await db.close();
    expect(String(await rejection(db.query("SELECT 1")))).toContain("closed");
  });
});
