import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createLogger, silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { Recorder, RecordingQueueFullError, type RecordWriter } from "../../src/recorder/recorder";
import type { InterceptionEnd, InterceptionRecord, PendingBatch } from "../../src/recorder/records";
import { MAX_BACKOFF_MS } from "../../src/recorder/retry-policy";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function spillDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "aibridge-spill-"));
  dirs.push(dir);
  return join(dir, "spill");
}
const spillLines = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".jsonl"))
        .flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n"))
        .map((line) => JSON.parse(line))
    : [];

function row(id: string, model = "m"): InterceptionRecord {
  return {
    id,
    initiatorId: "u",
    apiKeyId: "k",
    provider: "openai",
    model,
    client: "Unknown",
    credentialKind: "centralized",
    credentialHint: "...",
    startedAt: new Date(0),
  };
}

const end = (id: string, endedAt: Date): InterceptionEnd => ({
  id,
  endedAt,
  status: 200,
  errorType: null,
  errorMessage: null,
  initiatorId: "u",
  correlationToolCallId: null,
});

const dropped = () =>
  Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" });
// What PostgreSQL says about a value it cannot take: not worth retrying as is.
const rejectedValue = () =>
  Object.assign(new Error("index row size 2720 exceeds btree version 4 maximum 2704"), { code: "54000" });

/** A database stand-in: `down` makes every write fail as unavailable; rows named "bad" are rejected. */
function fakeWriter(options: { failStarts?: number; startError?: () => Error } = {}) {
  const starts: string[][] = [];
  const batches: PendingBatch[] = [];
  const state = { down: false, statements: 0 };
  let failStarts = options.failStarts ?? 0;
  const poisoned = (batch: PendingBatch) =>
    batch.ends.some((e) => e.id === "bad") ||
    batch.userPrompts.some((p) => p.prompt === "bad") ||
    batch.toolUsages.some((t) => t.tool === "bad");
  const writer: RecordWriter = {
    async insertInterceptions(rows) {
      await Promise.resolve();
      state.statements++;
      if (state.down) throw dropped();
      if (failStarts-- > 0) throw (options.startError ?? dropped)();
      if (rows.some((r) => r.model === "bad")) throw rejectedValue();
      starts.push(rows.map((r) => r.id));
    },
    async writeBatch(batch) {
      await Promise.resolve();
      state.statements++;
      if (state.down) throw dropped();
      if (poisoned(batch)) throw rejectedValue();
      batches.push(structuredClone(batch));
    },
  };
  return { writer, starts, batches, state };
}

function make(
  writer: RecordWriter,
  options: {
    metrics?: ReturnType<typeof createMetrics>;
    dir?: string;
    queueLimit?: number;
    logs?: string[];
  } = {},
) {
  const waits: number[] = [];
  const recorder = new Recorder({
    writer,
    logger: options.logs ? createLogger("json", (line) => options.logs!.push(line)) : silentLogger,
    metrics: options.metrics ?? createMetrics(),
    spillDir: options.dir ?? spillDir(),
    queueLimit: options.queueLimit,
    flushIntervalMs: 1_000_000,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { recorder, waits };
}

const written = (batches: PendingBatch[]) => ({
  ends: batches.flatMap((b) => b.ends.map((e) => e.id)),
  prompts: batches.flatMap((b) => b.userPrompts.map((p) => p.prompt)),
  tools: batches.flatMap((b) => b.toolUsages.map((t) => t.tool)),
});

describe("Recorder: starts", () => {
  test("concurrent starts are group-committed: one INSERT for many requests", async () => {
    const { writer, starts } = fakeWriter();
    const { recorder } = make(writer);
    await Promise.all(Array.from({ length: 50 }, (_, i) => recorder.startInterception(row(`i${i}`))));
    expect(starts).toHaveLength(1);
    expect(starts.flat()).toHaveLength(50);
  });
  test("a burst is committed in groups of at most 256 rows, every start resolved", async () => {
    const { writer, starts } = fakeWriter();
    const { recorder } = make(writer);
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
    const { recorder } = make(writer);
    const first = recorder.startInterception(row("a"));
    while (groups.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const later = [recorder.startInterception(row("b")), recorder.startInterception(row("c"))];
    await Promise.resolve();
    expect(groups).toEqual([["a"]]);
    open();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([["a"], ["b", "c"]]);
  });
  test("a group whose connection was dropped is sent once more at once; a second drop fails the whole group", async () => {
    const once = fakeWriter({ failStarts: 1 });
    const retrying = make(once.writer).recorder;
    await Promise.all([retrying.startInterception(row("a")), retrying.startInterception(row("b"))]);
    expect(once.starts).toEqual([["a", "b"]]);

    const twice = fakeWriter({ failStarts: 2 });
    const metrics = createMetrics();
    const { recorder } = make(twice.writer, { metrics });
    const results = await Promise.allSettled([
      recorder.startInterception(row("c")),
      recorder.startInterception(row("d")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(twice.starts).toEqual([]);
    expect(metrics.recordingFailuresTotal.get({ kind: "interception" })).toBe(2);
    await expect(recorder.startInterception(row("e"))).resolves.toBeUndefined();
  });
  test("a row the database rejects fails only its own request, not its 599 group-mates", async () => {
    const { writer, starts, state } = fakeWriter();
    const metrics = createMetrics();
    const { recorder } = make(writer, { metrics });
    const results = await Promise.allSettled(
      Array.from({ length: 600 }, (_, i) =>
        recorder.startInterception(row(`r${i}`, i === 300 ? "bad" : "m")),
      ),
    );
    const rejected = results.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
    expect(rejected).toEqual([300]);
    expect(new Set(starts.flat()).size).toBe(599);
    expect(metrics.recordingRejectedTotal.get({ kind: "interception" })).toBe(1);
    // Found by halving, not row by row: 3 groups, the bad one split about log2(256) times.
    expect(state.statements).toBeLessThan(3 + 2 * 9);
  });
  test("new starts are refused while the queue is full, admitted again once it drains", async () => {
    const { writer, state } = fakeWriter();
    const { recorder } = make(writer, { queueLimit: 3 });
    state.down = true;
    for (const id of ["a", "b", "c"]) recorder.endInterception(end(id, new Date()));
    expect(recorder.full).toBe(true);
    await expect(recorder.startInterception(row("x"))).rejects.toBeInstanceOf(RecordingQueueFullError);
    // Records of requests already admitted are still queued, beyond the bound.
    recorder.endInterception(end("d", new Date()));
    expect(recorder.queueDepth).toBe(4);
    state.down = false;
    await recorder.flush();
    expect(recorder.full).toBe(false);
    await expect(recorder.startInterception(row("x"))).resolves.toBeUndefined();
  });
});

describe("Recorder: child rows and ends", () => {
  test("children and ends are batched; while the database is unavailable the batch is retried, backing off to 5 s, never given up", async () => {
    const { writer, batches, state } = fakeWriter();
    const metrics = createMetrics();
    let failures = 30;
    const flaky: RecordWriter = {
      ...writer,
      async writeBatch(batch) {
        state.down = failures-- > 0;
        return writer.writeBatch(batch);
      },
    };
    const { recorder, waits } = make(flaky, { metrics });
    recorder.recordUserPrompt({ interceptionId: "a", prompt: "hi", createdAt: new Date() });
    recorder.recordToolUsage({ interceptionId: "a", tool: "t", input: "{}", createdAt: new Date() });
    recorder.endInterception(end("a", new Date()));
    expect(recorder.queueDepth).toBe(3);
    await recorder.drain();
    expect(written(batches)).toEqual({ ends: ["a"], prompts: ["hi"], tools: ["t"] });
    expect(recorder.queueDepth).toBe(0);
    expect(metrics.recordingFailuresTotal.get({ kind: "batch" })).toBe(30);
    expect(waits).toHaveLength(30);
    expect(waits.slice(0, 4)).toEqual([100, 200, 400, 800]);
    expect(Math.max(...waits)).toBe(MAX_BACKOFF_MS);
    expect(waits.at(-1)).toBe(MAX_BACKOFF_MS);
  });
  test("the records of a failed attempt keep their ids, so a retry of an unknown outcome is not a duplicate", async () => {
    const ids: string[][] = [];
    let calls = 0;
    const writer: RecordWriter = {
      async insertInterceptions() {},
      async writeBatch(batch) {
        ids.push(batch.userPrompts.map((p) => p.id!));
        if (calls++ === 0) throw dropped();
      },
    };
    const { recorder } = make(writer);
    recorder.recordUserPrompt({ interceptionId: "a", prompt: "hi", createdAt: new Date() });
    await recorder.flush();
    expect(ids).toHaveLength(2);
    expect(ids[0]![0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toEqual(ids[0]!);
  });
  test("records queued during an outage join the retry; the queue depth counts the batch being retried", async () => {
    const { writer, batches, state } = fakeWriter();
    const depths: number[] = [];
    const recorder: Recorder = new Recorder({
      writer,
      logger: silentLogger,
      metrics: createMetrics(),
      spillDir: spillDir(),
      flushIntervalMs: 1_000_000,
      sleep: async () => {
        recorder.endInterception(end("b", new Date()));
        depths.push(recorder.queueDepth);
        state.down = false;
      },
    });
    state.down = true;
    recorder.endInterception(end("a", new Date()));
    await recorder.flush();
    expect(depths).toEqual([2]);
    expect(batches.map((b) => b.ends.map((e) => e.id))).toEqual([["a", "b"]]);
  });
  test("a rejected record is isolated, spilled with an error line and counted; every other record is written", async () => {
    const { writer, batches } = fakeWriter();
    const metrics = createMetrics();
    const dir = spillDir();
    const logs: string[] = [];
    const { recorder } = make(writer, { metrics, dir, logs });
    for (let i = 0; i < 40; i++) {
      recorder.recordUserPrompt({
        interceptionId: `i${i}`,
        prompt: i === 7 ? "bad" : `p${i}`,
        createdAt: new Date(),
      });
      recorder.endInterception(end(`i${i}`, new Date()));
    }
    recorder.endInterception(end("bad", new Date()));
    await recorder.drain();
    const out = written(batches);
    expect(out.ends.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `i${i}`).sort());
    expect(out.prompts).toHaveLength(39);
    expect(out.prompts).not.toContain("bad");
    expect(metrics.recordingRejectedTotal.get({ kind: "user_prompts" })).toBe(1);
    expect(metrics.recordingRejectedTotal.get({ kind: "ends" })).toBe(1);
    const spilled = spillLines(dir);
    expect(spilled.map((l) => [l.list, l.reason])).toEqual([
      ["userPrompts", "rejected"],
      ["ends", "rejected"],
    ]);
    expect(spilled[0].record.prompt).toBe("bad");
    expect(spilled[0].error).toContain("54000");
    expect(recorder.spilled).toBe(2);
    const errors = logs.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    expect(errors).toHaveLength(2);
    expect(errors[0].msg).toContain("rejected");
    expect(JSON.stringify(errors)).not.toContain('"bad"');
  });
  test("an interception whose child is rejected is still ended, after its other rows", async () => {
    const { writer, batches } = fakeWriter();
    const { recorder } = make(writer);
    recorder.recordToolUsage({ interceptionId: "a", tool: "ok", input: "{}", createdAt: new Date() });
    recorder.recordToolUsage({ interceptionId: "a", tool: "bad", input: "{}", createdAt: new Date() });
    recorder.endInterception(end("a", new Date()));
    await recorder.drain();
    expect(written(batches)).toEqual({ ends: ["a"], prompts: [], tools: ["ok"] });
    const order = batches.flatMap((b) => [...b.toolUsages.map(() => "tool"), ...b.ends.map(() => "end")]);
    expect(order).toEqual(["tool", "end"]);
  });
  test("a full queue flushes without waiting for the timer; one statement holds at most maxBatch records", async () => {
    const { writer, batches } = fakeWriter();
    const recorder = new Recorder({
      writer,
      logger: silentLogger,
      metrics: createMetrics(),
      spillDir: spillDir(),
      flushIntervalMs: 1_000_000,
      maxBatch: 10,
    });
    for (let i = 0; i < 25; i++) recorder.endInterception(end(`e${i}`, new Date()));
    await recorder.flush();
    expect(batches.map((b) => b.ends.length)).toEqual([10, 10, 5]);
  });
  test("the queue depth is exported as a metric", async () => {
    const { writer } = fakeWriter();
    const metrics = createMetrics();
    const { recorder } = make(writer, { metrics });
    recorder.endInterception(end("a", new Date()));
    expect(metrics.registry.render()).toContain("aibridge_recording_queue_depth 1");
    await recorder.drain();
    expect(metrics.registry.render()).toContain("aibridge_recording_queue_depth 0");
  });
});

describe("Recorder: shutdown spill and replay", () => {
  test("what cannot be written by the deadline is spilled; the next recorder replays it before anything else and deletes the file", async () => {
    const dir = spillDir();
    const down = fakeWriter();
    down.state.down = true;
    const first = new Recorder({
      writer: down.writer,
      logger: silentLogger,
      metrics: createMetrics(),
      spillDir: dir,
      flushIntervalMs: 1_000_000,
      sleep: (ms) => Bun.sleep(Math.min(ms, 5)),
    });
    const endedAt = new Date("2026-01-02T03:04:05.678Z");
    first.recordTokenUsage({ interceptionId: "s", inputTokens: 3, outputTokens: 4, createdAt: endedAt });
    first.recordUserPrompt({ interceptionId: "s", prompt: "p", createdAt: endedAt });
    first.endInterception(end("s", endedAt));
    void first.flush();
    expect(await first.drain(performance.now() + 30)).toBe(3);
    expect(spillLines(dir).map((l) => l.reason)).toEqual(["shutdown", "shutdown", "shutdown"]);
    // Late records of a stopped recorder go straight to the spill file.
    first.endInterception(end("late", endedAt));
    expect(first.spilled).toBe(4);

    const up = fakeWriter();
    const { recorder: second } = make(up.writer, { dir });
    expect(await second.replaySpill()).toEqual({ files: 1, records: 4 });
    expect(written(up.batches)).toEqual({ ends: ["s", "late"], prompts: ["p"], tools: [] });
    const usage = up.batches.flatMap((b) => b.tokenUsages)[0]!;
    expect(usage.createdAt).toEqual(endedAt);
    expect(usage.inputTokens).toBe(3);
    expect(spillLines(dir)).toEqual([]);
    expect(second.spilled).toBe(0);
  });
  test("a replayed record the database rejects again is spilled anew, not lost; unreadable files are kept aside", async () => {
    const dir = spillDir();
    const { writer } = fakeWriter();
    const { recorder: first } = make(writer, { dir });
    first.endInterception(end("bad", new Date()));
    await first.drain();
    expect(spillLines(dir)).toHaveLength(1);
    writeFileSync(join(dir, "0000-garbled.jsonl"), '{"list":"ends","record":{"id":"x"\n');

    const again = fakeWriter();
    const { recorder: second } = make(again.writer, { dir });
    await second.replaySpill();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toBe("0000-garbled.jsonl.unreadable");
    expect(spillLines(dir).map((l) => [l.record.id, l.reason])).toEqual([["bad", "rejected"]]);
    expect(second.spilled).toBe(1);
  });
});
