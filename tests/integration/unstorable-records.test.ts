import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { type BridgeFixture, interceptionRows, query, settled, startBridge } from "../helpers/bridge";
import { createUserWithKey } from "../helpers/http";
import { interceptionFixture } from "../helpers/interceptions";
import { chatCompletion } from "../helpers/provider-wire";

let f: BridgeFixture;
let ownerId: string;
beforeAll(async () => {
  f = await startBridge({ retention: 0 });
  const [owner] = await query<{ id: string }>(f.gw, "SELECT id FROM users WHERE username = 'admin'");
  ownerId = owner!.id;
});
afterAll(() => f.stop());

const post = (url: string, key: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Text no compression shrinks: an index entry of it takes its full length. */
function incompressible(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(
    crypto.getRandomValues(new Uint8Array(length)),
    (b) => alphabet[b % alphabet.length],
  ).join("");
}

const spilled = () => {
  const dir = join(f.gw.config.dataDir, "spill");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").trim().split("\n"))
    .map((line) => JSON.parse(line));
};

describe("unstorable text (SPEC §13)", () => {
  test("NUL and lone surrogates in a prompt and a tool call's arguments are recorded as U+FFFD; the request is relayed unchanged; other users' records are written meanwhile", async () => {
    const other = await createUserWithKey(f.gw.url, f.gw.adminKey, "bystander", "member");
    f.upstream.handler = (request) =>
      Response.json(
        chatCompletion(
          null,
          JSON.parse(request.body).messages[0].content.startsWith("poison")
            ? [{ id: "call_\u0000", name: "run\ud800", arguments: '{"cmd":"a\\u0000b"}' }]
            : [],
          { prompt_tokens: 3, completion_tokens: 1 },
        ),
      );
    const poisoned = Array.from({ length: 10 }, () =>
      post(`${f.openaiBase}/chat/completions`, f.gw.adminKey, {
        model: "gpt-4o",
        messages: [{ role: "user", content: "poison \u0000 and \ud800 here" }],
      }),
    );
    const clean = Array.from({ length: 30 }, () =>
      post(`${f.openaiBase}/chat/completions`, other.key, {
        model: "gpt-4o",
        messages: [{ role: "user", content: "clean" }],
      }),
    );
    const answers = await Promise.all([...poisoned, ...clean]);
    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(200));
    const relayed = await Promise.all(answers.map((r) => r.json()));
    expect(relayed[0].choices[0].message.tool_calls[0].function.arguments).toBe('{"cmd":"a\\u0000b"}');
    expect(JSON.parse(f.upstream.received[0]!.body).messages[0].content).toContain("\u0000");
    await settled(f.gw);

    const rows = await interceptionRows(f.gw, answers[0]!.headers.get("x-aibridge-interception-id")!);
    expect(rows.interception.ended_at).not.toBeNull();
    expect(rows.prompts[0].prompt).toBe("poison \uFFFD and \uFFFD here");
    expect(rows.tools[0]).toMatchObject({
      tool: "run\uFFFD",
      provider_tool_call_id: "call_\uFFFD",
      input: '{"cmd":"a\\u0000b"}',
    });
    const ended = await query<{ n: number }>(
      f.gw,
      `SELECT count(*)::int AS n FROM aibridge_interceptions WHERE ended_at IS NOT NULL AND initiator_id = '${other.id}'`,
    );
    expect(Number(ended[0]!.n)).toBe(30);
    expect(spilled()).toEqual([]);
  });
});

describe("a row the database rejects (whatever reaches the recorder)", () => {
  test("a start group with one unstorable row: only that row's start fails, the other 40 are committed", async () => {
    const recorder = f.gw.server.recorder;
    const rows = Array.from({ length: 41 }, (_, i) =>
      interceptionFixture({
        initiatorId: ownerId,
        // Too large for the model index: PostgreSQL refuses the whole INSERT it is part of.
        model: i === 20 ? incompressible(3000) : "group-mate",
        startedAt: new Date(),
        endedAt: null,
      }),
    );
    const before = f.gw.server.metrics.recordingRejectedTotal.get({ kind: "interception" });
    const results = await Promise.allSettled(rows.map((row) => recorder.startInterception(row)));
    expect(results.flatMap((r, i) => (r.status === "rejected" ? [i] : []))).toEqual([20]);
    const committed = await query<{ n: number }>(
      f.gw,
      "SELECT count(*)::int AS n FROM aibridge_interceptions WHERE model = 'group-mate'",
    );
    expect(Number(committed[0]!.n)).toBe(40);
    expect(f.gw.server.metrics.recordingRejectedTotal.get({ kind: "interception" })).toBe(before + 1);
  });

  test("an end the database rejects (its model too large for a rollup index) is spilled, logged and counted; its rows and the other interceptions' ends are written", async () => {
    const recorder = f.gw.server.recorder;
    const long = interceptionFixture({
      initiatorId: ownerId,
      model: incompressible(2680),
      startedAt: new Date(),
      endedAt: null,
    });
    const normal = interceptionFixture({
      initiatorId: ownerId,
      model: "neighbour",
      startedAt: new Date(),
      endedAt: null,
    });
    await Promise.all([recorder.startInterception(long), recorder.startInterception(normal)]);
    const end = (id: string) => ({
      id,
      endedAt: new Date(),
      status: 200,
      errorType: null,
      errorMessage: null,
      initiatorId: ownerId,
      correlationToolCallId: null,
    });
    for (const id of [long.id, normal.id]) {
      recorder.recordTokenUsage({
        interceptionId: id,
        inputTokens: 7,
        outputTokens: 8,
        createdAt: new Date(),
      });
      recorder.endInterception(end(id));
    }
    await settled(f.gw);

    const longRows = await interceptionRows(f.gw, long.id);
    const normalRows = await interceptionRows(f.gw, normal.id);
    expect(normalRows.interception.ended_at).not.toBeNull();
    expect(normalRows.usages).toHaveLength(1);
    expect(longRows.interception.ended_at).toBeNull();
    const ends = spilled().filter((l) => l.list === "ends" && l.record.id === long.id);
    expect(ends).toHaveLength(1);
    expect(ends[0].reason).toBe("rejected");
    expect(ends[0].error).toContain("54000");
    expect(f.gw.server.metrics.recordingRejectedTotal.get({ kind: "ends" })).toBe(1);
    // Its usage is in the database, or (when a rollup keyed by model refuses it too) in the spill file.
    const usages = spilled().filter((l) => l.list === "tokenUsages" && l.record.interceptionId === long.id);
    expect(longRows.usages.length + usages.length).toBe(1);
    expect(f.gw.logs.join("")).toContain("the database rejected a record");
    expect(f.gw.logs.join("")).not.toContain(long.model);
  });
});
