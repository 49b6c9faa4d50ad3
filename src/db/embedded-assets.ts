// Imported as files so `bun build --compile` embeds them; from source they resolve to node_modules.
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import fsBundlePath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

const compile = async (path: string) => WebAssembly.compile(await Bun.file(path).arrayBuffer());

/** PGlite's engine, compiled once: a compiled module can be posted to the threads that run it. */
export const compilePgliteWasm = () => compile(pgliteWasmPath);

/** initdb, only needed (and compiled) to create a cluster. */
export const compileInitdbWasm = () => compile(initdbWasmPath);

/** The files PGlite unpacks into its in-memory file system. */
export const pgliteFsBundle = () => Bun.file(fsBundlePath);
