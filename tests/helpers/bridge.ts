import { sql } from "drizzle-orm";

import type { Config } from "../../src/config/options";
import { resultRows } from "../../src/db/migrate";
import { startTestGateway, type TestGateway } from "./gateway";

type GatewayOptions = NonNullable<Parameters<typeof startTestGateway>[1]>;

import { MockUpstream } from "./mock-upstream";

export interface BridgeFixture {
  gw: TestGateway;
  upstream: MockUpstream;
  openaiBase: string;
  anthropicBase: string;
  stop(): Promise<void>;
}

export const OPENAI_KEY = "sk-openai-configured-0123456789abcdef";
export const ANTHROPIC_KEY = "sk-ant-configured-0123456789abcdef";

/** A gateway whose providers point at a mock upstream (Anthropic base with a path prefix). */
export async function startBridge(
  overrides: Partial<Config> = {},
  options: Pick<GatewayOptions, "now" | "redisTimings" | "bodyIdleTimeoutMs"> = {},
): Promise<BridgeFixture> {
  const upstream = new MockUpstream();
  const gw = await startTestGateway(
    {
      openaiBaseUrl: `${upstream.url}/openai/v1/`,
      openaiKey: OPENAI_KEY,
      anthropicBaseUrl: `${upstream.url}/anthropic-prefix`,
      anthropicKey: ANTHROPIC_KEY,
      ...overrides,
    },
    options,
  );
  return {
    gw,
    upstream,
    openaiBase: `${gw.url}/api/v2/aibridge/openai/v1`,
    anthropicBase: `${gw.url}/api/v2/aibridge/anthropic`,
    async stop() {
      await gw.stop();
      upstream.stop();
    },
  };
}

/** Waits until the recorder has written everything queued so far. */
export async function settled(gw: TestGateway): Promise<void> {
  for (let i = 0; i < 200 && gw.server.concurrency.inFlight > 0; i++) await Bun.sleep(5);
  await gw.server.recorder.flush();
  await gw.server.recorder.flush();
}

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc SQL
export async function query<T = any>(gw: TestGateway, text: string): Promise<T[]> {
  return resultRows<T>(await gw.server.database.db.execute(sql.raw(text)));
}

const BIGINTS = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens"];
const TIMES = ["started_at", "ended_at", "created_at"];

/** Raw rows differ by driver (postgres.js gives bigint as text): make them engine-neutral. */
// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc SQL
function normalize(row: any) {
  if (!row) return row;
  for (const k of BIGINTS) if (row[k] !== null && row[k] !== undefined) row[k] = Number(row[k]);
  for (const k of TIMES) if (row[k] !== null && row[k] !== undefined) row[k] = new Date(row[k]);
  return row;
}

export async function interceptionRows(gw: TestGateway, id: string) {
  const [interception] = await query(gw, `SELECT * FROM aibridge_interceptions WHERE id = '${id}'`);
  const usages = await query(
    gw,
    `SELECT * FROM aibridge_token_usages WHERE interception_id = '${id}' ORDER BY created_at`,
  );
  const prompts = await query(gw, `SELECT * FROM aibridge_user_prompts WHERE interception_id = '${id}'`);
  const tools = await query(
    gw,
    `SELECT * FROM aibridge_tool_usages WHERE interception_id = '${id}' ORDER BY created_at, provider_tool_call_id`,
  );
  return {
    interception: normalize(interception),
    usages: usages.map(normalize),
    prompts: prompts.map(normalize),
    tools: tools.map(normalize),
  };
}
