import { afterAll, beforeAll, expect, test } from "bun:test";

import { type BridgeFixture, startBridge } from "../helpers/bridge";
import { controlledStream } from "../helpers/mock-upstream";

let f: BridgeFixture;
beforeAll(async () => {
  f = await startBridge();
});
afterAll(() => f.stop());

// Real time on purpose: idle timeouts live in the HTTP stack, not in our clock. Engine-independent,
// so it runs once (on PGlite) to keep CI short.
test.skipIf(process.env.AIBRIDGE_TEST_DB === "postgres")(
  "a stream that pauses 61 s is not cut by any idle timeout",
  async () => {
    const stream = controlledStream();
    f.upstream.handler = () => stream.response;
    const pending = fetch(`${f.anthropicBase}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": f.gw.adminKey },
      body: JSON.stringify({
        model: "claude-x",
        stream: true,
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
      }),
    });
    stream.write('event: ping\ndata: {"type":"ping"}\n\n');
    const res = await pending;
    const reader = res.body!.getReader();
    await reader.read();
    await Bun.sleep(61_000);
    stream.write('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    stream.close();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toContain("message_stop");
  },
  90_000,
);
