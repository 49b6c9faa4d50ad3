import { describe, expect, test } from "bun:test";

import { type CommandStore, SharedSpendLedger } from "../../src/cluster/shared-spend-ledger.ts";
import { settle } from "../helpers/fake-redis.ts";

/** A Redis of integer keys: SET NX, INCRBY and MGET, switchable down. */
class FakeStore implements CommandStore {
  up = true;
  readonly data = new Map<string, number>();
  command(command: string, args: string[]): Promise<unknown> {
    if (!this.up) return Promise.reject(new Error("Redis is unavailable"));
    if (command === "SET") {
      if (!this.data.has(args[0]!)) this.data.set(args[0]!, Number(args[1]));
      return Promise.resolve("OK");
    }
    if (command === "INCRBY") {
      const total = (this.data.get(args[0]!) ?? 0) + Number(args[1]);
      this.data.set(args[0]!, total);
      return Promise.resolve(total);
    }
    if (command === "MGET") return Promise.resolve(args.map((k) => this.data.get(k)?.toString() ?? null));
    return Promise.reject(new Error(`unexpected ${command}`));
  }
}

const MONTH = Date.UTC(2026, 11, 1);

function replicas(store = new FakeStore()) {
  const make = () => new SharedSpendLedger({ store, prefix: "s:", forgetAfterMs: 60_000 });
  return { store, a: make(), b: make() };
}

describe("SharedSpendLedger", () => {
  test("spend added on one replica reaches the other's check at its next refresh", async () => {
    const { a, b } = replicas();
    expect(b.spent("u", MONTH)).toBe(0); // b now watches u
    a.add("u", MONTH, 700);
    await settle();
    expect(a.spent("u", MONTH)).toBe(700);
    await b.refresh();
    expect(b.spent("u", MONTH)).toBe(700);
    b.add("u", MONTH, 300);
    await settle();
    await a.refresh();
    expect(a.spent("u", MONTH)).toBe(1000);
    expect(b.spent("u", MONTH)).toBe(1000);
  });

  test("seeding from the database does not add the recorded spend again on every start", async () => {
    const { store, a, b } = replicas();
    a.seed("u", MONTH, 5000);
    await settle();
    a.add("u", MONTH, 10);
    await settle();
    b.seed("u", MONTH, 5000); // a second replica starting later: Redis already knows more
    await settle();
    expect(store.data.get(`s:${MONTH}:u`)).toBe(5010);
    b.spent("u", MONTH);
    await b.refresh();
    expect(b.spent("u", MONTH)).toBe(5010);
  });

  test("months and users are apart", async () => {
    const { a } = replicas();
    a.add("u", MONTH, 1);
    a.add("v", MONTH, 2);
    a.add("u", Date.UTC(2027, 0, 1), 4);
    await settle();
    expect([a.spent("u", MONTH), a.spent("v", MONTH), a.spent("u", Date.UTC(2027, 0, 1))]).toEqual([1, 2, 4]);
  });

  test("Redis down: the replica's own ledger decides; additions are sent once it is back", async () => {
    const { store, a, b } = replicas();
    a.add("u", MONTH, 100);
    await settle();
    store.up = false;
    a.add("u", MONTH, 50);
    b.add("u", MONTH, 7);
    await settle();
    expect(a.spent("u", MONTH)).toBe(150);
    expect(b.spent("u", MONTH)).toBe(7);
    store.up = true;
    await a.refresh();
    await b.refresh();
    await a.refresh();
    expect(store.data.get(`s:${MONTH}:u`)).toBe(157);
    expect(a.spent("u", MONTH)).toBe(157);
    expect(b.spent("u", MONTH)).toBe(157);
  });

  test("a Redis that lost the key starts again from this replica's own total, never from zero", async () => {
    const { store, a } = replicas();
    a.seed("u", MONTH, 1000);
    a.add("u", MONTH, 1);
    await settle();
    store.data.clear(); // restarted without persistence
    a.add("u", MONTH, 2);
    await settle();
    expect(store.data.get(`s:${MONTH}:u`)).toBe(1003);
  });

  test("an addition not yet in Redis still counts on this replica", async () => {
    const { a } = replicas();
    a.spent("u", MONTH);
    a.add("u", MONTH, 40);
    expect(a.spent("u", MONTH)).toBe(40); // before the INCRBY answered
  });

  test("users not checked lately are no longer refreshed", async () => {
    let now = 0;
    const store = new FakeStore();
    const reads: number[] = [];
    const counting: CommandStore = {
      get up() {
        return store.up;
      },
      command: (c, args) => {
        if (c === "MGET") reads.push(args.length);
        return store.command(c, args);
      },
    };
    const ledger = new SharedSpendLedger({
      store: counting,
      prefix: "s:",
      forgetAfterMs: 1000,
      now: () => now,
    });
    ledger.spent("u", MONTH);
    ledger.spent("v", MONTH);
    await ledger.refresh();
    now = 900;
    ledger.spent("v", MONTH);
    now = 1500;
    await ledger.refresh();
    now = 5000;
    await ledger.refresh();
    expect(reads).toEqual([2, 1]);
  });
});
