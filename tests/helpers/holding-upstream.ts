import type { TestDatabase } from "./database";
import { MockUpstream } from "./mock-upstream";

/** An upstream that sends the start of an Anthropic stream, then holds it open until released. */
export function holdingUpstream() {
  const upstream = new MockUpstream();
  const releases: (() => void)[] = [];
  upstream.handler = () => {
    const encoder = new TextEncoder();
    return new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(
            encoder.encode(
              `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_hold", type: "message", role: "assistant", model: "claude-x", content: [], usage: { input_tokens: 11, output_tokens: 1, cache_read_input_tokens: 5 } } })}\n\n`,
            ),
          );
          releases.push(() => {
            try {
              controller.enqueue(
                encoder.encode(
                  `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9 } })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`,
                ),
              );
              controller.close();
            } catch {}
          });
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  };
  return {
    upstream,
    releaseAll: () => {
      for (const release of releases.splice(0)) release();
    },
    count: () => releases.length,
  };
}

/** Opens `n` Anthropic streams through the gateway; each has delivered its first event. */
export async function openStreams(gatewayUrl: string, key: string, n: number) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(`${gatewayUrl}/api/v2/aibridge/anthropic/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({
          model: "claude-x",
          stream: true,
          max_tokens: 5,
          messages: [{ role: "user", content: "hold" }],
        }),
      });
      const reader = res.body!.getReader();
      await reader.read();
      return { id: res.headers.get("x-aibridge-interception-id")!, status: res.status, reader };
    }),
  );
}

/** Reads a stream to its end. */
export async function readToEnd(reader: {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
}): Promise<string> {
  let text = "";
  for (let r = await reader.read(); !r.done; r = await reader.read())
    text += new TextDecoder().decode(r.value);
  return text;
}

/** The bootstrap admin key a first start prints on stderr. */
export const bootstrapKey = (stderr: string) => /^\s+([A-Za-z0-9]{10}-[A-Za-z0-9]{22})$/m.exec(stderr)![1]!;

/** The environment of a spawned gateway on `db` whose Anthropic provider is `upstream`. */
export function gatewayEnv(db: TestDatabase, upstream: MockUpstream, extra: Record<string, string> = {}) {
  return {
    CODER_PG_CONNECTION_URL: db.postgresUrl,
    CODER_AIBRIDGE_DATA_DIR: db.dataDir,
    CODER_AIBRIDGE_ANTHROPIC_BASE_URL: upstream.url,
    CODER_AIBRIDGE_ANTHROPIC_KEY: "sk-ant-test-0123456789",
    ...extra,
  };
}
