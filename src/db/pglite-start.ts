import { PGlite } from "@electric-sql/pglite";

import { compileInitdbWasm, pgliteFsBundle } from "./embedded-assets";

// PGlite's defaults size shared buffers for a server. The gateway's working set (recent
// interceptions and their index pages) is small, and each MB here is resident memory.
const PGLITE_CONF = ["shared_buffers=16MB"];

/**
 * Creates the cluster in `dataDir`. initdb leaves hundreds of MB of WebAssembly memory behind, its
 * compiled module included: the caller runs this in a thread of its own and ends the thread after.
 */
export async function initCluster(dataDir: string, pgliteWasmModule: WebAssembly.Module): Promise<void> {
  const init = new PGlite({
    dataDir,
    pgliteWasmModule,
    initdbWasmModule: await compileInitdbWasm(),
    fsBundle: pgliteFsBundle(),
    postgresqlconf: PGLITE_CONF,
  });
  await init.waitReady;
  await init.close();
}

/** Opens the existing cluster in `dataDir`. */
export async function openCluster(dataDir: string, pgliteWasmModule: WebAssembly.Module): Promise<PGlite> {
  const client = new PGlite({
    dataDir,
    pgliteWasmModule,
    fsBundle: pgliteFsBundle(),
    postgresqlconf: PGLITE_CONF,
  });
  await client.waitReady;
  return client;
}
