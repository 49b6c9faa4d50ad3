import { describe, expect, test } from "bun:test";

import { type CommandStore, SharedSpendLedger } from "../../src/cluster/shared-spend-ledger.ts";
import { settle } from "../helpers/fake-redis.ts";

/** A Redis of hashes of integers: HSETNX, HGETALL, EXPIRE and the addition script, switchable down. */
class FakeStore implements CommandStore {
  up = true;
  readonly data = new Map<string, Map<string, number>>();
  readonly commands: string[] = [];
  command(command: string, args: string[]): Promise<unknown> {
    if (!this.up) return Promise.reject(new Error("Redis is unavailable"));
    this.commands.push(command);
    const hash = () => {
      let h = this.data.get(args[0]!);
      if (!h) {
        h = new Map();
        this.data.set(args[0]!, h);
      }
      return h;
    };
    if (command === "HSETNX") {
      const h = hash();
      if (h.has(args[1]!)) return Promise.resolve(0);
      h.set(args[1]!, Number(args[2]));
      return Promise.resolve(1);
    }
    if (command === "HINCRBY") {
      const h = hash();
      const total = (h.get(args[1]!) ?? 0) + Number(args[2]);
      h.set(args[1]!, total);
      return Promise.resolve(total);
    }
    if (command === "HGETALL") {
      return Promise.resolve(
        Object.fromEntries([...(this.data.get(args[0]!) ?? [])].map(([f, v]) => [f, String(v)])),
      );
    }
    if (command === "EXPIRE") return Promise.resolve(1);
    return Promise.reject(new Error(`unexpected ${command}`));
  }
  readonly markers = new Set<string>();
  /** Applies the addition script, then fails its answer this many times (a reply lost in a timeout). */
  loseAnswers = 0;
  register(): void {}
  evalScript(_script: string, keys: string[], args: string[]): Promise<unknown> {
    if (!this.up) return Promise.reject(new Error("Redis is unavailable"));
    this.commands.push("EVALSHA");
    if (keys.length === 1) {
      // The floor script: (ttl, user, micros, …).
      let h = this.data.get(keys[0]!);
      if (!h) {
        h = new Map();
        this.data.set(keys[0]!, h);
      }
      for (let i = 1; i + 1 < args.length; i += 2) {
        if ((h.get(args[i]!) ?? 0) < Number(args[i + 1])) h.set(args[i]!, Number(args[i + 1]));
      }
      return Promise.resolve(1);
    }
    const [month, marker] = keys as [string, string];
    const [user, before, micros] = args as [string, string, string];
    let h = this.data.get(month);
    if (!h) {
      h = new Map();
      this.data.set(month, h);
    }
    if (!this.markers.has(marker)) {
      this.markers.add(marker);
      if (!h.has(user)) h.set(user, Number(before));
      h.set(user, h.get(user)! + Number(micros));
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      return Promise.reject(new Error("Redis did not answer within 50 ms"));
    }
    return Promise.resolve(h.get(user));
  }
  field(key: string, user: string): number | undefined {
    return this.data.get(key)?.get(user);
  }
}

const MONTH = Date.UTC(2026, 11, 1);

function replicas(store = new FakeStore()) {
  const make = () => new SharedSpendLedger({ store, prefix: "s:" });
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
    expect(store.field(`s:${MONTH}`, "u")).toBe(5010);
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
    expect(store.field(`s:${MONTH}`, "u")).toBe(157);
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
    expect(store.field(`s:${MONTH}`, "u")).toBe(1003);
  });

  test("an addition not yet in Redis still counts on this replica", async () => {
    const { a } = replicas();
    a.spent("u", MONTH);
    a.add("u", MONTH, 40);
    expect(a.spent("u", MONTH)).toBe(40); // before the INCRBY answered
  });

  test("an addition Redis applied but whose answer was lost is sent again, and counted once", async () => {
    const { store, a } = replicas();
    a.seed("u", MONTH, 100);
    await settle();
    store.loseAnswers = 1;
    a.add("u", MONTH, 40);
    await settle();
    expect(store.field(`s:${MONTH}`, "u")).toBe(140); // applied, answer lost
    expect(a.spent("u", MONTH)).toBe(140);
    await a.refresh(); // sent again with the same marker
    await a.refresh();
    expect(store.field(`s:${MONTH}`, "u")).toBe(140);
    expect(a.spent("u", MONTH)).toBe(140);
  });

  test("a Redis that lost the month is raised back to the database's totals at the next refresh", async () => {
    const { store, a, b } = replicas();
    a.seed("u", MONTH, 1000);
    a.add("u", MONTH, 10);
    b.add("u", MONTH, 20);
    await settle();
    expect(store.field(`s:${MONTH}`, "u")).toBe(1030);
    store.data.clear(); // restarted without persistence
    b.add("u", MONTH, 1); // b alone knows only 20 + 1 of its own
    await settle();
    expect(store.field(`s:${MONTH}`, "u")).toBe(21);
    b.reconcile("u", MONTH, 1030); // what the database recorded from every replica
    await b.refresh();
    expect(store.field(`s:${MONTH}`, "u")).toBe(1030);
    await a.refresh();
    expect(a.spent("u", MONTH)).toBe(1030);
  });

  test("a user this replica never checked or saw sees the others' spend at its first check", async () => {
    const { a, b } = replicas();
    b.spent("someone-else", MONTH); // b reads the month
    a.add("u", MONTH, 900);
    await settle();
    await b.refresh();
    expect(b.spent("u", MONTH)).toBe(900); // never checked on b before
  });

  test("one read per month and refresh, whatever the number of users; only the two newest months", async () => {
    const store = new FakeStore();
    const ledger = new SharedSpendLedger({ store, prefix: "s:" });
    for (let i = 0; i < 50; i++) ledger.spent(`user-${i}`, MONTH);
    await settle();
    store.commands.length = 0;
    await ledger.refresh();
    expect(store.commands).toEqual(["HGETALL"]);
    ledger.spent("u", Date.UTC(2027, 0, 1));
    ledger.spent("u", Date.UTC(2027, 1, 1));
    await settle();
    store.commands.length = 0;
    await ledger.refresh();
    expect(store.commands).toEqual(["HGETALL", "HGETALL"]);
  });
});
