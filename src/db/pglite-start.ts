import { existsSync } from "node:fs";
import { join } from "node:path";

import { PGlite } from "@electric-sql/pglite";

import { pgliteAssets } from "./embedded-assets";

// PGlite's defaults size shared buffers for a server; an embedded gateway needs far less.
const PGLITE_CONF = ["shared_buffers=32MB"];

// initdb leaves ~1 GB of WebAssembly memory behind: create the cluster in an instance of its own,
// let it be collected, then open the cluster fresh.
async function initCluster(dataDir: string, assets: Awaited<ReturnType<typeof pgliteAssets>>): Promise<void> {
  const init = new PGlite({ dataDir, ...assets, postgresqlconf: PGLITE_CONF });
  await init.waitReady;
  await init.close();
}

/** Opens (creating it on first use) the embedded database in `dataDir`. */
export async function startPglite(dataDir: string): Promise<PGlite> {
  const assets = await pgliteAssets();
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  if (fresh) await initCluster(dataDir, assets);
  const client = new PGlite({ dataDir, ...assets, postgresqlconf: PGLITE_CONF });
  await client.waitReady;
  if (fresh) Bun.gc(true);
  return client;
}
