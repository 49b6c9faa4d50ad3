import type { RedisConnection, Timers } from "../../src/cluster/shared-redis.ts";

/** Timers that fire only when a test advances them. */
export class FakeTimers implements Timers {
  now = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get scheduled(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing every timer due on the way (in order), letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await settle();
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending)
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
      await settle();
    }
    this.now = target;
  }
}

/** Lets every promise chain already started run to its end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export type FakeMode = "up" | "refusing" | "hanging";

/** A Redis connection whose behaviour a test switches: answering, refusing connections, or hanging. */
export class FakeRedisConnection implements RedisConnection {
  connected = false;
  mode: FakeMode = "up";
  readonly sent: { command: string; args: string[] }[] = [];
  connects = 0;
  closed = false;
  /** SHA-1s of the scripts this "server" has seen (EVAL loads them). */
  readonly scripts = new Set<string>();
  /** What a successful command answers. */
  answer: (command: string, args: string[]) => unknown = () => "OK";

  connect(): Promise<void> {
    this.connects++;
    if (this.mode === "hanging") return new Promise(() => {});
    if (this.mode === "refusing") return Promise.reject(new Error("Connection closed"));
    this.connected = true;
    return Promise.resolve();
  }

  send(command: string, args: string[]): Promise<unknown> {
    this.sent.push({ command, args });
    if (this.mode === "hanging") return new Promise(() => {});
    if (this.mode === "refusing") this.connected = false;
    if (!this.connected) return Promise.reject(new Error("Connection has failed"));
    if (command === "PING") return Promise.resolve("PONG");
    if (command === "EVALSHA" && !this.scripts.has(args[0]!)) {
      return Promise.reject(new Error("NOSCRIPT No matching script. Please use EVAL."));
    }
    if (command === "EVAL") this.scripts.add(new Bun.CryptoHasher("sha1").update(args[0]!).digest("hex"));
    if (command === "SCRIPT" && args[0] === "LOAD") {
      const sha = new Bun.CryptoHasher("sha1").update(args[1]!).digest("hex");
      this.scripts.add(sha);
      return Promise.resolve(sha);
    }
    return Promise.resolve(this.answer(command, args));
  }

  close(): void {
    this.closed = true;
    this.connected = false;
  }
}
