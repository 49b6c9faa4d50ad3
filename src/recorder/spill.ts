import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

import { type BatchList, batchRecords, emptyBatch, type PendingBatch } from "./records";

/** Why a record is in a spill file rather than in the database. */
export type SpillReason = "shutdown" | "rejected";

interface SpillLine {
  list: BatchList;
  record: unknown;
  reason: SpillReason;
  /** What the database said, for a rejected record (kind and SQLSTATE, never a value). */
  error?: string;
  spilled_at: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const LISTS = new Set<string>(Object.keys(emptyBatch()));

// Records hold Dates (`createdAt`, `endedAt`); JSON turns them into ISO strings.
const reviveDates = (key: string, value: unknown) =>
  key.endsWith("At") && typeof value === "string" && ISO_TIME.test(value) ? new Date(value) : value;

/**
 * Records the database did not take, as JSON lines in `<data dir>/spill/` (SPEC §13): what was
 * still pending when the process had to stop, and what the database definitively rejected. Each
 * process appends to a file of its own; the next start replays every file left by earlier ones.
 */
export class SpillDirectory {
  private file: string | null = null;

  constructor(readonly dir: string) {}

  /** Appends every record of `batch`; throws when the file cannot be written. */
  append(batch: PendingBatch, reason: SpillReason, error?: string): number {
    const spilledAt = new Date().toISOString();
    let text = "";
    let n = 0;
    for (const { list, record } of batchRecords(batch)) {
      const line: SpillLine = { list, record, reason, spilled_at: spilledAt };
      if (error) line.error = error;
      text += `${JSON.stringify(line)}\n`;
      n++;
    }
    if (n === 0) return 0;
    if (!this.file) {
      mkdirSync(this.dir, { recursive: true });
      const stamp = spilledAt.replace(/[:.]/g, "-");
      this.file = join(this.dir, `${stamp}-${process.pid}-${crypto.randomUUID().slice(0, 8)}.jsonl`);
    }
    appendFileSync(this.file, text, { mode: 0o600 });
    return n;
  }

  /** Spill files left by earlier processes, oldest first (this process's own file excluded). */
  leftovers(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith(".jsonl"))
      .sort()
      .map((name) => join(this.dir, name))
      .filter((path) => path !== this.file);
  }

  /** The records of one spill file; lines that cannot be read are counted, not guessed at. */
  static read(path: string): { batch: PendingBatch; unreadable: number } {
    const batch = emptyBatch();
    let unreadable = 0;
    for (const text of readFileSync(path, "utf8").split("\n")) {
      if (!text) continue;
      try {
        const line = JSON.parse(text, reviveDates) as SpillLine;
        if (!LISTS.has(line.list) || typeof line.record !== "object" || line.record === null)
          throw new Error("not a spilled record");
        (batch[line.list] as unknown[]).push(line.record);
      } catch {
        unreadable++;
      }
    }
    return { batch, unreadable };
  }

  static remove(path: string): void {
    rmSync(path, { force: true });
  }
}
