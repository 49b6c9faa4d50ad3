/**
 * The embedded database's own thread. PGlite executes SQL synchronously on the thread that calls
 * it; here, that work no longer stalls the gateway's HTTP handling (see pglite-remote.ts).
 */
import type { PGlite, Transaction } from "@electric-sql/pglite";

import type { WorkerError, WorkerRequest, WorkerResponse } from "./pglite-protocol";
import { initCluster, openCluster } from "./pglite-start";

declare const self: Worker;

let pg: PGlite | null = null;
interface OpenTransaction {
  tx?: Transaction;
  decide(commit: boolean): void;
  done: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();

const keepText = (value: string) => value;

function reply(response: WorkerResponse): void {
  self.postMessage(response);
}

function describeError(error: unknown): WorkerError {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: WorkerError = { message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) fields[key] = value;
  }
  return fields;
}

function database(): PGlite {
  if (!pg) throw new Error("the embedded database is not open");
  return pg;
}

/** Opens a transaction whose end the gateway decides; resolves once it has begun. */
function begin(tx: number): Promise<void> {
  return new Promise((begun, failed) => {
    const open: OpenTransaction = { decide() {}, done: Promise.resolve() };
    open.done = database()
      .transaction(async (t) => {
        open.tx = t;
        const commit = await new Promise<boolean>((decide) => {
          open.decide = decide;
          transactions.set(tx, open);
          begun();
        });
        if (!commit) await t.rollback();
      })
      .finally(() => transactions.delete(tx));
    // Before it began: the begin fails. After: the end reports it.
    open.done.catch(failed);
  });
}

async function end(tx: number, commit: boolean): Promise<void> {
  const open = transactions.get(tx);
  if (!open) throw new Error(`no open transaction ${tx}`);
  open.decide(commit);
  await open.done;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "init":
      await initCluster(request.dataDir, request.engine);
      return undefined;
    case "open":
      pg = await openCluster(request.dataDir, request.engine);
      return undefined;
    case "query": {
      const target = request.tx === undefined ? database() : transactions.get(request.tx)?.tx;
      if (!target) throw new Error(`no open transaction ${request.tx}`);
      const parsers = Object.fromEntries(request.rawTypes.map((oid) => [oid, keepText]));
      return target.query(request.sql, request.params, { rowMode: request.rowMode, parsers });
    }
    case "begin":
      return begin(request.tx);
    case "end":
      return end(request.tx, request.commit);
    case "close":
      await pg?.close();
      pg = null;
      return undefined;
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(
    (result) => reply({ id: request.id, ok: true, result }),
    (error) => reply({ id: request.id, ok: false, error: describeError(error) }),
  );
};
