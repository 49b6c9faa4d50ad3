import { afterAll, beforeAll, expect, test } from "bun:test";

import { insertInterceptions } from "../../src/recorder/write-batch";
import { query } from "../helpers/bridge";
import { startTestGateway, type TestGateway } from "../helpers/gateway";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

test("a start group sent twice (its first outcome unknown) is recorded once, without an error", async () => {
  const [owner] = await query<{ id: string }>(gw, "SELECT id FROM users LIMIT 1");
  const row = (id: string) => ({
    id,
    initiatorId: owner!.id,
    apiKeyId: "k",
    provider: "openai",
    model: "retried",
    client: "Unknown",
    credentialKind: "centralized" as const,
    credentialHint: "...",
    startedAt: new Date(),
  });
  const group = [row(Bun.randomUUIDv7()), row(Bun.randomUUIDv7())];
  await insertInterceptions(gw.server.database, group);
  await insertInterceptions(gw.server.database, [...group, row(Bun.randomUUIDv7())]);
  const [counted] = await query<{ n: number }>(
    gw,
    "SELECT count(*)::int AS n FROM aibridge_interceptions WHERE model = 'retried'",
  );
  expect(Number(counted!.n)).toBe(3);
});
