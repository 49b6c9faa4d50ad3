import { describe, expect, test } from "bun:test";

import { silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { Recorder, type RecordWriter } from "../../src/recorder/recorder";
import type { InterceptionEnd, InterceptionRecord, PendingBatch } from "../../src/recorder/records";

const end = (id: string): InterceptionEnd => ({
  id,
  endedAt: new Date(),
  status: 200,
  errorType: null,
  errorMessage: null,
  initiatorId: "00000000-0000-0000-0000-000000000001",
  correlationToolCallId: null,
});

function row(id: string): InterceptionRecord {
  return {
    id,
    initiatorId: "u",
    apiKeyId: "k",
    provider: "openai",
    model: "m",
    client: "Unknown",
    credentialKind: "centralized",
    credentialHint: "...",
    startedAt: new Date(0),
  };
}

const dropped = () =>
  Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" });

function fakeWriter(
  options: { failStarts?: number; startError?: () => Error; failBatches?: number; poison?: string } = {},
) {
  const starts: string[][] = [];
  const batches: PendingBatch[] = [];
  let failStarts = options.failStarts ?? 0;
  let failBatches = options.failBatches ?? 0;
  const writer: RecordWriter = {
    async insertInterceptions(rows) {
      await Promise.resolve();
      if (failStarts-- > 0) throw (options.startError ?? (() => new Error("db down")))();
      starts.push(rows.map((r) => r.id));
    },
    async writeBatch(batch) {
      await Promise.resolve();
      if (failBatches-- > 0) throw new Error("db down");
      if (options.poison && batch.ends.some((e) => e.id === options.poison)) throw new Error("poison");
      batches.push(batch);
    },
  };
  return { writer, starts, batches };
}

const make = (writer: RecordWriter, metrics = createMetrics()) =>
  new Recorder({ writer, logger: silentLogger, metrics, flushIntervalMs: 1_000_000, sleep: async () => {} });

describe("Recorder", () => {
  test("concurrent starts are group-committed: one INSERT for many requests", async () => {
    const { writer, starts } = fakeWriter();
    const recorder = make(writer);
    await Promise.all(Array.from({ length: 50 }, (_, i) => recorder.startInterception(row(`i${i}`))));
    expect(starts).toHaveLength(1);
    expect(starts.flat()).toHaveLength(50);
  });
  test("a burst is committed in groups of at most 256 rows, every start resolved", async () => {
    const { writer, starts } = fakeWriter();
    const recorder = make(writer);
    await Promise.all(Array.from({ length: 600 }, (_, i) => recorder.startInterception(row(`b${i}`))));
    expect(starts.map((g) => g.length)).toEqual([256, 256, 88]);
    expect(new Set(starts.flat()).size).toBe(600);
  });
  test("starts arriving during a commit form the next group", async () => {
    const groups: string[][] = [];
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const writer: RecordWriter = {
      async insertInterceptions(rows) {
        groups.push(rows.map((r) => r.id));
        if (groups.length === 1) await gate;
      },
      async writeBatch() {},
    };
    const recorder = make(writer);
    const first = recorder.startInterception(row("a"));
    while (groups.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const later = [recorder.startInterception(row("b")), recorder.startInterception(row("c"))];
    await Promise.resolve();
    expect(groups).toEqual([["a"]]);
    open();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([["a"], ["b", "c"]]);
  });
  test("a failed start rejects every request of its group (they must not be forwarded)", async () => {
    const { writer } = fakeWriter({ failStarts: 1 });
    const recorder = make(writer);
    const results = await Promise.allSettled([
      recorder.startInterception(row("a")),
      recorder.startInterception(row("b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    await expect(recorder.startInterception(row("c"))).resolves.toBeUndefined();
  });
  test("a group whose connection was dropped is sent once more at once; a second drop is a failure", async () => {
    const once = fakeWriter({ failStarts: 1, startError: dropped });
    const retrying = make(once.writer);
    await Promise.all([retrying.startInterception(row("a")), retrying.startInterception(row("b"))]);
    expect(once.starts).toEqual([["a", "b"]]);

    const twice = fakeWriter({ failStarts: 2, startError: dropped });
    const recorder = make(twice.writer);
    const [failed] = await Promise.allSettled([recorder.startInterception(row("c"))]);
    expect(failed?.status).toBe("rejected");
    expect(twice.starts).toEqual([]);
    await expect(recorder.startInterception(row("d"))).resolves.toBeUndefined();
  });
  test("any other failure of a start is not retried", async () => {
    let calls = 0;
    const writer: RecordWriter = {
      async insertInterceptions() {
        calls++;
        throw Object.assign(new Error("violates foreign key constraint"), { code: "23503" });
      },
      async writeBatch() {},
    };
    await expect(make(writer).startInterception(row("a"))).rejects.toThrow("foreign key");
    expect(calls).toBe(1);
  });
  test("children and ends are batched; a failing batch is retried, not lost", async () => {
    const { writer, batches } = fakeWriter({ failBatches: 2 });
    const metrics = createMetrics();
    const recorder = make(writer, metrics);
    recorder.recordUserPrompt({ interceptionId: "a", prompt: "hi", createdAt: new Date() });
    recorder.recordToolUsage({ interceptionId: "a", tool: "t", input: "{}", createdAt: new Date() });
    recorder.endInterception(end("a"));
    expect(recorder.queueDepth).toBe(3);
    await recorder.drain();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.ends.map((e) => e.id)).toEqual(["a"]);
    expect(recorder.queueDepth).toBe(0);
    expect(metrics.recordingFailuresTotal.get({ kind: "batch" })).toBe(2);
  });
  test("a record that keeps failing is split out, logged and counted; the rest is written", async () => {
    const { writer, batches } = fakeWriter({ poison: "bad" });
    const metrics = createMetrics();
    const recorder = make(writer, metrics);
    recorder.endInterception(end("good"));
    recorder.endInterception(end("bad"));
    await recorder.drain();
    expect(batches.flatMap((b) => b.ends.map((e) => e.id))).toEqual(["good"]);
    expect(metrics.recordingDroppedTotal.get({ kind: "ends" })).toBe(1);
  });
  test("a full queue flushes without waiting for the timer", async () => {
    const { writer, batches } = fakeWriter();
    const recorder = new Recorder({
      writer,
      logger: silentLogger,
      metrics: createMetrics(),
      flushIntervalMs: 1_000_000,
      maxBatch: 10,
    });
    for (let i = 0; i < 10; i++) recorder.endInterception(end(`e${i}`));
    await recorder.flush();
    expect(batches.flatMap((b) => b.ends)).toHaveLength(10);
  });
  test("the queue depth is exported as a metric", async () => {
    const { writer } = fakeWriter();
    const metrics = createMetrics();
    const recorder = make(writer, metrics);
    recorder.endInterception(end("a"));
    expect(metrics.registry.render()).toContain("aibridge_recording_queue_depth 1");
    await recorder.drain();
    expect(metrics.registry.render()).toContain("aibridge_recording_queue_depth 0");
  });
});
