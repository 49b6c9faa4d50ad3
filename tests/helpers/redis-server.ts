import { RedisClient } from "bun";

import { freePort } from "./process.ts";

/**
 * A private `redis-server` on a free loopback port, without persistence, for tests that stop, pause
 * or kill Redis (never the shared one on 6379). `restart` brings it back on the same port.
 */
export class TestRedis {
  readonly port = freePort();
  readonly url = `redis://127.0.0.1:${this.port}`;
  private proc: ReturnType<typeof Bun.spawn> | null = null;

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis();
    await redis.restart();
    return redis;
  }

  async restart(): Promise<void> {
    if (this.running) throw new Error("redis-server is still running");
    this.proc = Bun.spawn(
      [
        "redis-server",
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    const client = new RedisClient(this.url, { autoReconnect: false, enableOfflineQueue: false });
    try {
      for (let i = 0; ; i++) {
        try {
          await client.connect();
          if ((await client.send("PING", [])) === "PONG") return;
        } catch (error) {
          if (i >= 500 || !this.running) throw new Error(`redis-server did not start: ${error}`);
        }
        await Bun.sleep(10);
      }
    } finally {
      client.close();
    }
  }

  /** Starts it again unless it runs (a test that failed midway must not break the next one). */
  async ensureRunning(): Promise<void> {
    if (!this.running) await this.restart();
  }

  private get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGKILL, waiting for the process to be gone. */
  async kill(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.proc?.kill("SIGSTOP");
  }

  resume(): void {
    this.proc?.kill("SIGCONT");
  }

  /** A client of its own, for the test to look at or prepare the data. */
  client(): RedisClient {
    return new RedisClient(this.url, { autoReconnect: false });
  }
}
