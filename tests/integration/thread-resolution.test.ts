// SPEC §14 threads, resolved by the batched end write itself (no read on the request path): parents
// in earlier batches, in the same batch, chains through both, and never across initiators.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import postgres from "postgres";

import { emptyBatch, type InterceptionEnd, type PendingBatch } from "../../src/recorder/records";
import { insertInterceptions, writeBatch } from "../../src/recorder/write-batch";
import { query } from "../helpers/bridge";
import { TEST_ENGINE } from "../helpers/database";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let gw: TestGateway;
let alice: string;
let bob: string;
let clock = Date.parse("2026-03-01T10:00:00Z");
/** A strictly later time at each call. */
function tick(): Date {
  clock += 1000;
  return new Date(clock);
}

beforeAll(async () => {
  gw = await startTestGateway();
  [alice, bob] = [crypto.randomUUID(), crypto.randomUUID()];
  await query(gw, `INSERT INTO users (id, username) VALUES ('${alice}', 'alice-t'), ('${bob}', 'bob-t')`);
});
afterAll(() => gw.stop());

/** One finished exchange: its start, the tool calls its answer made, and its end. */
interface Turn {
  id: string;
  initiator: string;
  answers?: string;
  calls?: string[];
  sessionId?: string;
}

const turn = (initiator: string, answers?: string, calls: string[] = [], sessionId?: string): Turn => ({
  id: Bun.randomUUIDv7(),
  initiator,
  answers,
  calls,
  sessionId,
});

async function record(...batches: Turn[][]): Promise<void> {
  for (const turns of batches) {
    await insertInterceptions(
      gw.server.database,
      turns.map((t) => ({
        id: t.id,
        initiatorId: t.initiator,
        apiKeyId: "k",
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        client: "Claude Code",
        clientSessionId: t.sessionId ?? null,
        credentialKind: "centralized" as const,
        credentialHint: "...",
        startedAt: tick(),
      })),
    );
    const batch: PendingBatch = emptyBatch();
    for (const t of turns) {
      const at = tick();
      for (const call of t.calls ?? []) {
        batch.toolUsages.push({
          interceptionId: t.id,
          tool: "Read",
          providerToolCallId: call,
          input: "{}",
          createdAt: at,
        });
      }
      const end: InterceptionEnd = {
        id: t.id,
        endedAt: at,
        status: 200,
        errorType: null,
        errorMessage: null,
        initiatorId: t.initiator,
        correlationToolCallId: t.answers ?? null,
      };
      batch.ends.push(end);
    }
    await writeBatch(gw.server.database, batch);
  }
}

async function threadOf(t: Turn) {
  const [row] = await query<{
    thread_parent_id: string | null;
    thread_root_id: string | null;
    session_id: string;
  }>(
    gw,
    `SELECT thread_parent_id, thread_root_id, session_id FROM aibridge_interceptions WHERE id = '${t.id}'`,
  );
  return { parent: row!.thread_parent_id, root: row!.thread_root_id, session: row!.session_id };
}

const callId = (name: string) => `toolu_${name}_${crypto.randomUUID().slice(0, 8)}`;

describe("thread resolution in the batched end write", () => {
  test("parents in earlier batches: each answer links to the call's interception and the first one's root", async () => {
    const [c1, c2] = [callId("a"), callId("b")];
    const prompt = turn(alice, undefined, [c1]);
    const second = turn(alice, c1, [c2]);
    const third = turn(alice, c2);
    await record([prompt], [second], [third]);
    expect(await threadOf(prompt)).toEqual({ parent: null, root: null, session: prompt.id });
    expect(await threadOf(second)).toEqual({ parent: prompt.id, root: prompt.id, session: prompt.id });
    expect(await threadOf(third)).toEqual({ parent: second.id, root: prompt.id, session: prompt.id });
  });

  test("a chain written in one batch, and one that starts in an earlier batch and goes on in one", async () => {
    const [c1, c2, c3] = [callId("a"), callId("b"), callId("c")];
    const prompt = turn(alice, undefined, [c1]);
    const second = turn(alice, c1, [c2]);
    const third = turn(alice, c2, [c3]);
    const fourth = turn(alice, c3);
    await record([prompt, second, third, fourth]);
    for (const [t, parent] of [
      [second, prompt],
      [third, second],
      [fourth, third],
    ] as const) {
      expect(await threadOf(t)).toEqual({ parent: parent.id, root: prompt.id, session: prompt.id });
    }

    const [d1, d2, d3] = [callId("a"), callId("b"), callId("c")];
    const p = turn(alice, undefined, [d1]);
    const s = turn(alice, d1, [d2]);
    const t3 = turn(alice, d2, [d3]);
    const t4 = turn(alice, d3);
    await record([p, s], [t3, t4]);
    expect(await threadOf(t3)).toEqual({ parent: s.id, root: p.id, session: p.id });
    expect(await threadOf(t4)).toEqual({ parent: t3.id, root: p.id, session: p.id });
  });

  test("a backlog cut at the batch size: a parent's tool usages in an earlier batch than its end and its answer's", async () => {
    const [c1, c2] = [callId("a"), callId("b")];
    const root = turn(alice, undefined, [c1]);
    await record([root]);
    const parent = turn(alice, c1, [c2]);
    const child = turn(alice, c2);
    const starts = [parent, child].map((t) => ({
      id: t.id,
      initiatorId: alice,
      apiKeyId: "k",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      client: "Claude Code",
      credentialKind: "centralized" as const,
      credentialHint: "...",
      startedAt: tick(),
    }));
    await insertInterceptions(gw.server.database, starts);
    // The recorder takes child rows before ends: a cut batch carries the parent's tool usage alone.
    const at = tick();
    await writeBatch(gw.server.database, {
      ...emptyBatch(),
      toolUsages: [
        { interceptionId: parent.id, tool: "Read", providerToolCallId: c2, input: "{}", createdAt: at },
      ],
    });
    const end = (t: Turn, answers: string, calls: string[]): InterceptionEnd => ({
      id: t.id,
      endedAt: tick(),
      status: 200,
      errorType: null,
      errorMessage: null,
      initiatorId: alice,
      correlationToolCallId: answers,
      toolCallIds: calls,
    });
    await writeBatch(gw.server.database, {
      ...emptyBatch(),
      ends: [end(parent, c1, [c2]), end(child, c2, [])],
    });
    expect(await threadOf(parent)).toEqual({ parent: root.id, root: root.id, session: root.id });
    expect(await threadOf(child)).toEqual({ parent: parent.id, root: root.id, session: root.id });
    const [session] = await query<{ interceptions: number; threads: number }>(
      gw,
      `SELECT interceptions::int, threads::int FROM aibridge_sessions WHERE session_id = '${root.id}'`,
    );
    expect(session).toEqual({ interceptions: 3, threads: 1 });
  });

  test("parallel calls: answering any of them links to the interception that made them", async () => {
    const [c1, c2] = [callId("a"), callId("b")];
    const prompt = turn(alice, undefined, [c1, c2]);
    const answer = turn(alice, c2);
    await record([prompt], [answer]);
    expect(await threadOf(answer)).toMatchObject({ parent: prompt.id, root: prompt.id });
  });

  test("never across initiators, in the same batch or not; the newest of the same initiator wins", async () => {
    const shared = callId("shared");
    const alicePrompt = turn(alice, undefined, [shared]);
    const bobAnswer = turn(bob, shared);
    await record([alicePrompt, bobAnswer]);
    expect(await threadOf(bobAnswer)).toEqual({ parent: null, root: null, session: bobAnswer.id });
    const bobLater = turn(bob, shared);
    await record([bobLater]);
    expect(await threadOf(bobLater)).toMatchObject({ parent: null, root: null });

    const older = turn(alice, undefined, [shared]);
    await record([older]);
    const answer = turn(alice, shared);
    await record([answer]);
    expect(await threadOf(answer)).toMatchObject({ parent: older.id, root: older.id });
  });

  test("an unknown tool call id leaves the interception its own thread; a client session id wins the session", async () => {
    const lone = turn(alice, callId("never-made"));
    await record([lone]);
    expect(await threadOf(lone)).toEqual({ parent: null, root: null, session: lone.id });

    const c1 = callId("a");
    const first = turn(alice, undefined, [c1], "cc-session-1");
    const second = turn(alice, c1, [], "cc-session-1");
    await record([first], [second]);
    expect(await threadOf(second)).toEqual({ parent: first.id, root: first.id, session: "cc-session-1" });
  });

  test("status and error columns come with the end", async () => {
    const t = turn(alice);
    await insertInterceptions(gw.server.database, [
      {
        id: t.id,
        initiatorId: alice,
        apiKeyId: "k",
        provider: "openai",
        model: "gpt-4o",
        client: "Unknown",
        credentialKind: "centralized",
        credentialHint: "...",
        startedAt: tick(),
      },
    ]);
    await writeBatch(gw.server.database, {
      ...emptyBatch(),
      ends: [
        {
          id: t.id,
          endedAt: tick(),
          status: 429,
          errorType: "rate_limited",
          errorMessage: "Rate limit reached",
          initiatorId: alice,
          correlationToolCallId: null,
        },
      ],
    });
    const [row] = await query(
      gw,
      `SELECT status, error_type, error_message FROM aibridge_interceptions WHERE id = '${t.id}'`,
    );
    expect(row).toEqual({ status: 429, error_type: "rate_limited", error_message: "Rate limit reached" });
  });

  // Another writer (a crash sweep on another replica) ends the row and commits while the batch
  // statement waits for its lock: the batch must see that end, not the snapshot it started with.
  test.skipIf(TEST_ENGINE !== "postgres")(
    "an end committed meanwhile by another writer is counted once in every rollup",
    async () => {
      const t = turn(bob);
      const startedAt = tick();
      await insertInterceptions(gw.server.database, [
        {
          id: t.id,
          initiatorId: bob,
          apiKeyId: "k",
          provider: "openai",
          model: "gpt-race",
          client: "Unknown",
          credentialKind: "centralized",
          credentialHint: "...",
          startedAt,
        },
      ]);
      const other = postgres(gw.database.postgresUrl, { max: 1, onnotice: () => {} });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const sweep = other.begin(async (tx) => {
          await tx`UPDATE aibridge_interceptions SET ended_at = ${tick()}, error_type = 'interrupted' WHERE id = ${t.id}`;
          locked();
          await held;
        });
        await isLocked;
        const write = writeBatch(gw.server.database, {
          ...emptyBatch(),
          ends: [
            {
              id: t.id,
              endedAt: tick(),
              status: 200,
              errorType: null,
              errorMessage: null,
              initiatorId: bob,
              correlationToolCallId: null,
            },
          ],
        });
        // The batch statement is waiting for the row the sweep holds.
        for (let i = 0; i < 200; i++) {
          const [row] = await query<{ n: number }>(
            gw,
            `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`,
          );
          if (row!.n > 0) break;
          await Bun.sleep(10);
        }
        release();
        await sweep;
        await write;
      } finally {
        await other.end();
      }
      const [counts] = await query<{ hourly: number; daily: number; spend: number; sessions: number }>(
        gw,
        `SELECT
          (SELECT coalesce(sum(interceptions), 0)::int FROM aibridge_interception_counts WHERE model = 'gpt-race') AS hourly,
          (SELECT coalesce(sum(interceptions), 0)::int FROM aibridge_interception_counts_by_initiator WHERE model = 'gpt-race') AS daily,
          (SELECT coalesce(sum(interceptions), 0)::int FROM aibridge_spend_daily WHERE model = 'gpt-race') AS spend,
          (SELECT coalesce(sum(interceptions), 0)::int FROM aibridge_sessions WHERE session_id = '${t.id}') AS sessions`,
      );
      expect(counts).toEqual({ hourly: 1, daily: 1, spend: 1, sessions: 1 });
    },
  );
});
