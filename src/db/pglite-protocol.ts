/** Messages between the gateway and the thread that runs the embedded database (PGlite). */

export type WorkerRequest =
  | { op: "init"; id: number; dataDir: string; engine: WebAssembly.Module }
  | { op: "open"; id: number; dataDir: string; engine: WebAssembly.Module }
  | {
      op: "query";
      id: number;
      sql: string;
      params: unknown[];
      rowMode: "object" | "array";
      /** Type OIDs whose text is returned as it is (what drizzle asks for dates and times). */
      rawTypes: number[];
      /** Runs inside this open transaction. */
      tx?: number;
    }
  | { op: "begin"; id: number; tx: number }
  | { op: "end"; id: number; tx: number; commit: boolean }
  | { op: "close"; id: number };

/** A database error's fields, so the gateway can rebuild an equivalent Error. */
export interface WorkerError {
  message: string;
  [field: string]: unknown;
}

export type WorkerResponse =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: WorkerError };
