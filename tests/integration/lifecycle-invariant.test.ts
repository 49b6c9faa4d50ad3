import { afterAll, afterEach, beforeAll, describe, expect, spyOn, test } from "bun:test";

import { chatCompletionsInterceptor } from "../../src/bridge/intercept";
import type { ResponseObserver } from "../../src/bridge/intercept/types";
import { type BridgeFixture, interceptionRows, settled, startBridge } from "../helpers/bridge";
import { chatCompletion, chatStream, sseResponse } from "../helpers/provider-wire";

// SPEC §13: once an interception has started, every exit path (exceptions included) ends it and
// returns its concurrency slot and its circuit-breaker permit.
describe("an exception after the interception started", () => {
  let f: BridgeFixture;
  let clock = Date.now();
  beforeAll(async () => {
    f = await startBridge(
      {
        circuitBreakerEnabled: true,
        circuitBreakerFailureThreshold: 1,
        circuitBreakerTimeout: 10_000,
        circuitBreakerInterval: 60_000,
        circuitBreakerMaxRequests: 3,
      },
      { now: () => clock },
    );
  });
  afterAll(() => f.stop());
  afterEach(() => {
    spyOn(chatCompletionsInterceptor, "observe").mockRestore();
  });

  /** The interceptor's observer throws when the answer is read out: after the start, after upstream. */
  const throwingObserver = () =>
    spyOn(chatCompletionsInterceptor, "observe").mockImplementation(
      (): ResponseObserver => ({
        onJson() {},
        onEvent() {},
        result() {
          throw new Error("injected interceptor failure");
        },
      }),
    );

  const call = (stream = false) =>
    fetch(`${f.openaiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.gw.adminKey}` },
      body: JSON.stringify({ model: "gpt-x", stream, messages: [{ role: "user", content: "hi" }] }),
    });

  /** The sum of a gauge's series; throws when it has none (so the check cannot pass vacuously). */
  const gauge = (name: string) => {
    const lines = f.gw.server.metrics.registry
      .render()
      .split("\n")
      .filter((l) => !l.startsWith("#") && l.includes(`${name}{`));
    if (lines.length === 0) throw new Error(`no series of ${name}`);
    return lines.reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  };

  async function expectEnded(ids: string[]) {
    await settled(f.gw);
    for (const id of ids) {
      const { interception } = await interceptionRows(f.gw, id);
      expect(interception.ended_at).not.toBeNull();
      expect(interception.ended_at.getTime()).toBeGreaterThanOrEqual(interception.started_at.getTime());
    }
    expect(f.gw.server.concurrency.inFlight).toBe(0);
    expect(gauge("interceptions_in_flight")).toBe(0);
  }

  test("three such requests in half-open return their permits: the breaker closes instead of wedging", async () => {
    f.upstream.handler = () => Response.json({ error: { message: "busy" } }, { status: 503 });
    expect((await call()).status).toBe(503); // one failure opens the circuit
    expect(await (await call()).text()).toContain("circuit breaker is open");
    clock += 10_000; // half-open: three requests at most

    f.upstream.handler = () =>
      Response.json(chatCompletion("ok", [], { prompt_tokens: 1, completion_tokens: 1 }));
    throwingObserver();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call();
      expect(res.status).toBe(500);
      expect((await res.json()).error.type).toBe("server_error");
      ids.push(res.headers.get("x-aibridge-interception-id")!);
    }
    expect(ids.every(Boolean)).toBe(true);
    await expectEnded(ids);

    spyOn(chatCompletionsInterceptor, "observe").mockRestore();
    const after = await call();
    expect(after.status).toBe(200);
    await after.text();
    expect(f.gw.server.metrics.registry.render()).toMatch(
      /circuit_breaker_state\{[^}]*model="gpt-x"[^}]*\} 0/,
    );
  });

  test("a stream whose end throws is still ended, and its slot returned", async () => {
    f.upstream.handler = () => sseResponse(chatStream("ok", [], { prompt_tokens: 1, completion_tokens: 1 }));
    throwingObserver();
    const res = await call(true);
    expect(res.status).toBe(200);
    const id = res.headers.get("x-aibridge-interception-id")!;
    expect(await res.text()).toContain("data: [DONE]"); // the client still gets its whole answer
    await expectEnded([id]);
  });
});
