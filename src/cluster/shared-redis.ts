import { RedisClient } from "bun";

import type { Logger } from "../observability/logger";

/** What the cluster needs of a Redis client: Bun's `RedisClient` in production, a fake in unit tests. */
export interface RedisConnection {
  readonly connected: boolean;
  connect(): Promise<void>;
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}

/**
 * Bun's built-in client, set up for fail-fast use: nothing is queued while disconnected (a request
 * must never wait for Redis to come back) and reconnection is left to `SharedRedis`'s own loop.
 */
export function bunRedisConnection(url: string, connectTimeoutMs = 1000): RedisConnection {
  return new RedisClient(url, {
    autoReconnect: false,
    enableOfflineQueue: false,
    connectionTimeout: connectTimeoutMs,
  });
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SharedRedisOptions {
  connection: RedisConnection;
  logger: Pick<Logger, "info" | "warn">;
  /** Told each time Redis turns reachable or unreachable (the `redis_up` gauge). */
  onUpChange?: (up: boolean) => void;
  /** The most a request waits for Redis before deciding without it (SPEC §16: 50 ms). */
  commandTimeoutMs?: number;
  /** How long a (re)connection may take in the background. */
  connectTimeoutMs?: number;
  /** Pause between background attempts while Redis is unreachable. */
  retryEveryMs?: number;
  timers?: Timers;
}

export class RedisUnavailableError extends Error {}

type State = "starting" | "up" | "down" | "closed";

/**
 * The one Redis connection a replica shares limits through (SPEC §16), and its health. A command that
 * fails or takes longer than the command timeout turns the connection down: callers then decide on
 * their own (per-process limits) without asking Redis at all, one warning is logged, and a background
 * loop reconnects and pings until Redis answers in time again, which turns it back up by itself.
 */
export class SharedRedis {
  private state: State = "starting";
  private retryTimer: unknown = null;
  private connecting: Promise<void> | null = null;
  private lastErrorReplyAt = Number.NEGATIVE_INFINITY;
  private readonly shas = new Map<string, string>();
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly retryEveryMs: number;
  private readonly timers: Timers;

  constructor(private readonly opts: SharedRedisOptions) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 50;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
    this.retryEveryMs = opts.retryEveryMs ?? 1000;
    this.timers = opts.timers ?? REAL_TIMERS;
  }

  /** Whether requests use Redis now. */
  get up(): boolean {
    return this.state === "up";
  }

  /** The first connection. Never throws: an unreachable Redis only means per-process limits for now. */
  async start(): Promise<void> {
    if (this.state !== "starting") return;
    if (await this.attempt()) return;
    if (this.state !== "starting") return; // closed meanwhile
    this.state = "down";
    this.opts.logger.warn(
      "Redis unreachable at start: rate limits and budgets are per process until it answers",
    );
    this.opts.onUpChange?.(false);
    this.scheduleRetry();
  }

  /** Sends one command, within the command timeout. Rejects (and turns down) on any failure. */
  command(command: string, args: string[]): Promise<unknown> {
    if (this.state !== "up") return Promise.reject(new RedisUnavailableError("Redis is unavailable"));
    return this.guarded(this.opts.connection.send(command, args));
  }

  /**
   * Announces a script `evalScript` will run: it is loaded into Redis now and on every
   * (re)connection, so that a request needs one round trip, not two, even right after a restart.
   */
  register(script: string): void {
    this.shaOf(script);
    if (this.state === "up") this.opts.connection.send("SCRIPT", ["LOAD", script]).catch(() => {});
  }

  /** Runs a Lua script by its SHA-1, loading it first if Redis does not have it (e.g. after a restart). */
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown> {
    if (this.state !== "up") return Promise.reject(new RedisUnavailableError("Redis is unavailable"));
    const { connection } = this.opts;
    const rest = [String(keys.length), ...keys, ...args];
    const run = connection
      .send("EVALSHA", [this.shaOf(script), ...rest])
      .catch((error: unknown) =>
        error instanceof Error && error.message.startsWith("NOSCRIPT")
          ? connection.send("EVAL", [script, ...rest])
          : Promise.reject(error),
      );
    return this.guarded(run);
  }

  close(): void {
    this.state = "closed";
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.opts.connection.close();
  }

  private guarded(reply: Promise<unknown>): Promise<unknown> {
    return this.within(reply, this.commandTimeoutMs).catch((error: unknown) => {
      if (isErrorReply(error)) this.reportErrorReply(error);
      else this.turnDown(error);
      throw error;
    });
  }

  /**
   * Redis answered, with an error (out of memory under `noeviction`, a key of another type): the
   * connection is fine, so it stays up (the next ping would turn it up again at once, flapping);
   * the caller decides that one request on its own. Logged at most once a minute.
   */
  private reportErrorReply(error: Error): void {
    const at = Date.now();
    if (at - this.lastErrorReplyAt < 60_000) return;
    this.lastErrorReplyAt = at;
    this.opts.logger.warn("Redis refused a command: that request's limits are decided per process", {
      error: error.message,
    });
  }

  private turnDown(error: unknown): void {
    if (this.state !== "up") return;
    this.state = "down";
    this.opts.logger.warn("Redis unreachable: rate limits and budgets are per process until it is back", {
      error: error instanceof Error ? error.message : String(error),
    });
    this.opts.onUpChange?.(false);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state === "closed" || this.retryTimer !== null) return;
    this.retryTimer = this.timers.setTimeout(async () => {
      if (await this.attempt()) return;
      this.retryTimer = null;
      this.scheduleRetry();
    }, this.retryEveryMs);
  }

  /** Connects if needed and pings; on an answer in time, turns up. */
  private async attempt(): Promise<boolean> {
    const { connection } = this.opts;
    try {
      if (!connection.connected) {
        this.connecting ??= connection.connect().finally(() => {
          this.connecting = null;
        });
        await this.within(this.connecting, this.connectTimeoutMs);
      }
      await this.within(connection.send("PING", []), this.commandTimeoutMs);
      for (const script of this.shas.keys()) {
        await this.within(connection.send("SCRIPT", ["LOAD", script]), this.connectTimeoutMs);
      }
    } catch {
      return false;
    }
    if (this.state === "closed") return false;
    const wasDown = this.state === "down";
    this.state = "up";
    this.retryTimer = null;
    if (wasDown) this.opts.logger.info("Redis reachable again: rate limits and budgets are shared");
    this.opts.onUpChange?.(true);
    return true;
  }

  /**
   * Rejects when `promise` has not settled `ms` after the call. A timer that fires after the event
   * loop was busy (a stall, not Redis) may find the answer already waiting in the socket: it lets
   * pending I/O run once before giving up, so only a slow Redis counts as one.
   */
  private within<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.timers.setTimeout(
        () =>
          setImmediate(() => {
            if (!settled) reject(new RedisUnavailableError(`Redis did not answer within ${ms} ms`));
          }),
        ms,
      );
      promise.then(
        (value) => {
          settled = true;
          this.timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          settled = true;
          this.timers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private shaOf(script: string): string {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = new Bun.CryptoHasher("sha1").update(script).digest("hex");
      this.shas.set(script, sha);
    }
    return sha;
  }
}

/** An error Redis itself answered with (`-ERR`, `-OOM`, `-WRONGTYPE` …), not a failed connection. */
function isErrorReply(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === "ERR_REDIS_SERVER_ERROR";
}
