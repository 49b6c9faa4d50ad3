import { existsSync } from "node:fs";
import { join } from "node:path";

import type { Results } from "@electric-sql/pglite";

import { compilePgliteWasm } from "./embedded-assets";
import type { WorkerRequest, WorkerResponse } from "./pglite-protocol";

type QueryOptions = { rowMode?: "object" | "array"; parsers?: Record<number, unknown> };
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** The part of PGlite's interface that drizzle and the gateway use, for one transaction or none. */
export interface PgliteQueries {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
}

/**
 * The worker's entry point. The executable holds it as a second entry point of `bun run build`,
 * at its path from the entry points' common folder (src/); from source it is this file's sibling.
 */
function workerEntry(): string {
  const compiled = Bun.main.startsWith("/$bunfs/");
  return compiled ? "./db/pglite-worker.ts" : new URL("./pglite-worker.ts", import.meta.url).href;
}

/**
 * The embedded database, run by a worker thread (pglite-worker.ts) and used from here through
 * messages. PGlite executes every statement synchronously on its own thread, so on the gateway's
 * thread each write would stall all HTTP traffic for its duration.
 */
export class RemotePglite implements PgliteQueries {
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: unknown): void }
  >();
  private nextId = 1;
  private nextTransaction = 1;
  private closed: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.settle(event.data);
    worker.onerror = (event) => this.shutDown(`the embedded database thread failed: ${event.message}`);
  }

  /** Opens the database in `dataDir`, creating it first (in a thread of its own) when it does not exist. */
  static async open(dataDir: string): Promise<RemotePglite> {
    const engine = await compilePgliteWasm();
    if (!existsSync(join(dataDir, "PG_VERSION"))) await RemotePglite.run({ op: "init", dataDir, engine });
    return RemotePglite.run({ op: "open", dataDir, engine }, true);
  }

  /** A worker that carries out `request`, then ends unless `keep`. */
  private static async run(request: Request, keep = false): Promise<RemotePglite> {
    const remote = new RemotePglite(new Worker(workerEntry()));
    try {
      await remote.call(request);
    } catch (error) {
      remote.shutDown("the embedded database did not open");
      throw error;
    }
    if (!keep) remote.shutDown("the embedded database is closed");
    return remote;
  }

  query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    return this.queryIn(undefined, sql, params, options);
  }

  /** Like PGlite's: commits when `fn` resolves, rolls back when it throws. */
  async transaction<T>(fn: (tx: PgliteQueries) => Promise<T>): Promise<T> {
    const tx = this.nextTransaction++;
    await this.call({ op: "begin", tx });
    const queries: PgliteQueries = {
      query: (sql, params = [], options = {}) => this.queryIn(tx, sql, params, options),
    };
    let result: T;
    try {
      result = await fn(queries);
    } catch (error) {
      // The caller's error is the one to report, whatever the rollback does.
      await this.call({ op: "end", tx, commit: false }).catch(() => {});
      throw error;
    }
    await this.call({ op: "end", tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    try {
      await this.call({ op: "close" });
    } finally {
      this.shutDown("the embedded database is closed");
    }
  }

  // Drizzle passes parsers that keep date and time types as text: the worker applies the same.
  private queryIn<T>(
    tx: number | undefined,
    sql: string,
    params: unknown[],
    options: QueryOptions,
  ): Promise<Results<T>> {
    const rawTypes = Object.keys(options.parsers ?? {}).map(Number);
    const rowMode = options.rowMode ?? "object";
    return this.call({ op: "query", sql, params, rowMode, rawTypes, tx }) as Promise<Results<T>>;
  }

  private call(request: Request): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  private settle(response: WorkerResponse): void {
    const waiter = this.pending.get(response.id);
    if (!waiter) return;
    this.pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(Object.assign(new Error(response.error.message), response.error));
  }

  /** Every waiting and later call fails with `reason`. */
  private shutDown(reason: string): void {
    this.closed ??= Object.assign(new Error(reason), { code: "EMBEDDED_DATABASE_CLOSED" });
    this.worker.terminate();
    for (const waiter of this.pending.values()) waiter.reject(this.closed);
    this.pending.clear();
  }
}
