// Imported as files so `bun build --compile` embeds them; from source they resolve to node_modules.
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import fsBundlePath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

const compile = async (path: string) => WebAssembly.compile(await Bun.file(path).arrayBuffer());

/** What PGlite needs to open an existing cluster. */
export async function pgliteAssets() {
  return { pgliteWasmModule: await compile(pgliteWasmPath), fsBundle: Bun.file(fsBundlePath) };
}

/** What it needs to create one: initdb as well (compiled only then; its code is large). */
export async function pgliteInitAssets() {
  const [assets, initdbWasmModule] = await Promise.all([pgliteAssets(), compile(initdbWasmPath)]);
  return { ...assets, initdbWasmModule };
}
