import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DataDirInUseError, lockDataDir } from "../../src/db/data-dir-lock";

const dir = mkdtempSync(join(tmpdir(), "aibridge-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the lock is exclusive while held, free again once released; the file names the holder", () => {
  const held = lockDataDir(dir);
  expect(readFileSync(join(dir, "aibridge.lock"), "utf8")).toBe(`${process.pid}\n`);
  expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
  expect(() => lockDataDir(dir)).toThrow(/in use by another aibridge process \(pid \d+\)/);
  held.release();
  held.release(); // twice is harmless
  const again = lockDataDir(dir);
  expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
  again.release();
});

test("a lock file left with the PID of a live process (this one) does not block: only the kernel lock counts", () => {
  const stale = join(dir, "stale");
  const first = lockDataDir(stale);
  first.release();
  // The file still says this process's PID, which is alive.
  expect(readFileSync(join(stale, "aibridge.lock"), "utf8")).toBe(`${process.pid}\n`);
  lockDataDir(stale).release();
});
