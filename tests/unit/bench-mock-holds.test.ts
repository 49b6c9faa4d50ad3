import { describe, expect, test } from "bun:test";

import { Holds } from "../../bench/mock/holds.ts";

const LONG = 3_600_000;

describe("Holds", () => {
  test("parked streams wait until released, and the peak is kept", async () => {
    const holds = new Holds();
    let released = 0;
    const parked = [holds.park(LONG), holds.park(LONG), holds.park(LONG)].map((p) =>
      p.then(() => released++),
    );
    expect(holds.held).toBe(3);
    expect(holds.peakHeld).toBe(3);
    await Promise.resolve();
    expect(released).toBe(0);
    expect(holds.releaseAll()).toBe(3);
    await Promise.all(parked);
    expect(released).toBe(3);
    expect(holds.held).toBe(0);
    expect(holds.peakHeld).toBe(3);
  });

  test("after a release nothing parks until reset, which also clears the peak", async () => {
    const holds = new Holds();
    holds.releaseAll();
    await holds.park(LONG);
    expect(holds.held).toBe(0);
    holds.reset();
    expect(holds.peakHeld).toBe(0);
    const parked = holds.park(LONG);
    expect(holds.held).toBe(1);
    holds.releaseAll();
    await parked;
  });

  test("a timeout releases a stream by itself", async () => {
    const holds = new Holds();
    await holds.park(0);
    expect(holds.held).toBe(0);
    expect(holds.peakHeld).toBe(1);
  });
});
