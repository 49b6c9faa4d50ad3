// Query plans of what the API really sends: capture its statements, then EXPLAIN them.
import type { TestGateway } from "./gateway";

function client(gw: TestGateway): Record<string, unknown> {
  return (gw.server.database.db as unknown as { session: { client: Record<string, unknown> } }).session
    .client;
}

/** Captures the statements (and their parameters) sent to the database client while `run` runs. */
export async function captureStatements(gw: TestGateway, run: () => Promise<unknown>) {
  const c = client(gw);
  const name = gw.server.database.engine === "postgres" ? "unsafe" : "query";
  const original = c[name] as (...args: unknown[]) => unknown;
  const captured: { text: string; params: unknown[] }[] = [];
  c[name] = function (this: unknown, ...args: unknown[]) {
    captured.push({ text: String(args[0]), params: (args[1] as unknown[] | undefined) ?? [] });
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    c[name] = original;
  }
  return captured;
}

/** The plan of one statement with its parameters, as text. */
export async function explain(gw: TestGateway, text: string, params: unknown[]): Promise<string> {
  const c = client(gw);
  const query = `EXPLAIN ${text}`;
  const rows =
    gw.server.database.engine === "postgres"
      ? ((await (c.unsafe as (q: string, p: unknown[]) => Promise<Record<string, string>[]>)(
          query,
          params,
        )) ?? [])
      : ((
          await (c.query as (q: string, p: unknown[]) => Promise<{ rows: Record<string, string>[] }>)(
            query,
            params,
          )
        ).rows ?? []);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}
