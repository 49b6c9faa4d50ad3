import { basename, join } from "node:path";

import page from "./index.html";

/** One file of the built console, served under `/console/assets/`. */
export interface ConsoleAsset {
  body: Uint8Array;
  /** The same bytes gzipped once, for browsers that accept it. */
  gzipped: Uint8Array;
  type: string;
  etag: string;
}

async function asset(blob: Blob, type: string, etag: string): Promise<ConsoleAsset> {
  const body = new Uint8Array(await blob.arrayBuffer());
  return { body, gzipped: Bun.gzipSync(body, { level: 9 }), type, etag };
}

export interface ConsoleBundle {
  index: string;
  assets: Map<string, ConsoleAsset>;
}

export const ASSETS_PATH = "/console/assets/";

/**
 * The built page points at its chunks from the site root (`/chunk-….js`); the console serves them
 * under its own prefix so that the only routes it owns are `/console…`.
 */
function rehome(html: string, names: Iterable<string>): string {
  let out = html;
  for (const name of names)
    out = out
      .replaceAll(`"/${name}"`, `"${ASSETS_PATH}${name}"`)
      .replaceAll(`"./${name}"`, `"${ASSETS_PATH}${name}"`);
  return out;
}

/** `bun build --compile` bundled the HTML import into the executable: its files are listed on the import. */
async function fromExecutable(files: NonNullable<typeof page.files>): Promise<ConsoleBundle> {
  const assets = new Map<string, ConsoleAsset>();
  let index = "";
  for (const file of files) {
    if (file.headers["content-type"].startsWith("text/html")) {
      index = await Bun.file(file.path).text();
      continue;
    }
    assets.set(
      basename(file.path),
      await asset(Bun.file(file.path), file.headers["content-type"], `"${file.headers.etag}"`),
    );
  }
  return { index: rehome(index, assets.keys()), assets };
}

/** Run from source: bundle the same HTML entry in memory, once. */
async function fromSource(): Promise<ConsoleBundle> {
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "index.html")],
    target: "browser",
    minify: true,
  });
  if (!built.success) throw new AggregateError(built.logs, "the web console failed to bundle");
  const assets = new Map<string, ConsoleAsset>();
  let index = "";
  for (const output of built.outputs) {
    const name = basename(output.path);
    if (output.type.startsWith("text/html")) index = await output.text();
    else assets.set(name, await asset(output, output.type, `"${output.hash ?? name}"`));
  }
  return { index: rehome(index, assets.keys()), assets };
}

let loaded: Promise<ConsoleBundle> | null = null;

/** The console's page and assets, loaded on first use. */
export function consoleBundle(): Promise<ConsoleBundle> {
  loaded ??= page.files?.length ? fromExecutable(page.files) : fromSource();
  return loaded;
}
