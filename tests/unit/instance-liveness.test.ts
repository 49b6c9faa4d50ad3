import { expect, test } from "bun:test";

import { createLogger } from "../../src/observability/logger";
import { InstanceLiveness, type LivenessStore } from "../../src/recorder/instance-liveness";

function fakeStore() {
  const calls: string[] = [];
  const state = { down: false, swept: 0 };
  const store: LivenessStore = {
    async heartbeat(at) {
      if (state.down) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      calls.push(`beat ${at.getTime()}`);
    },
    async sweep(cutoff) {
      calls.push(`sweep ${cutoff.getTime()}`);
      return state.swept;
    },
  };
  return { store, calls, state };
}

const timings = { heartbeatMs: 10_000, staleAfterMs: 60_000 };

test("each tick refreshes the heartbeat, then sweeps instances not seen for 60 s by this clock", async () => {
  const { store, calls, state } = fakeStore();
  let now = 1_000_000;
  const logs: string[] = [];
  const liveness = new InstanceLiveness(
    store,
    createLogger("json", (l) => logs.push(l)),
    () => now,
    timings,
  );
  await liveness.start();
  expect(calls).toEqual(["beat 1000000"]);
  now += 10_000;
  state.swept = 50;
  await liveness.tick();
  expect(calls).toEqual(["beat 1000000", "beat 1010000", "sweep 950000"]);
  expect(logs.join("")).toContain('"swept":50');
  await liveness.stop();
});

test("after a failed heartbeat (an outage), nobody is swept until two heartbeats in a row succeeded", async () => {
  const { store, calls, state } = fakeStore();
  let now = 0;
  const liveness = new InstanceLiveness(
    store,
    createLogger("json", () => {}),
    () => now,
    timings,
  );
  await liveness.start();
  state.down = true;
  now += 10_000;
  await liveness.tick();
  state.down = false;
  now += 10_000;
  await liveness.tick();
  expect(calls.filter((c) => c.startsWith("sweep"))).toEqual([]);
  now += 10_000;
  await liveness.tick();
  expect(calls.at(-1)).toBe(`sweep ${now - 60_000}`);
  await liveness.stop();
});

test("a failing sweep is logged and the next tick tries again; ticks never overlap", async () => {
  const { store, calls } = fakeStore();
  let failures = 1;
  const flaky: LivenessStore = {
    heartbeat: store.heartbeat,
    async sweep(cutoff) {
      if (failures-- > 0) throw new Error("deadlock detected");
      return store.sweep(cutoff);
    },
  };
  const logs: string[] = [];
  const liveness = new InstanceLiveness(
    flaky,
    createLogger("json", (l) => logs.push(l)),
    () => 0,
    timings,
  );
  await liveness.start();
  await liveness.tick();
  expect(logs.join("")).toContain("crash sweep failed");
  const [a, b] = [liveness.tick(), liveness.tick()];
  expect(a).toBe(b);
  await a;
  expect(calls.filter((c) => c.startsWith("sweep"))).toHaveLength(1);
  await liveness.stop();
});
