/** The one request a load client sends, passed from the runner as `--spec '<json>'`. */
export interface RequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function parseSpec(argv: string[]): RequestSpec {
  const at = argv.indexOf("--spec");
  const raw = at >= 0 ? argv[at + 1] : undefined;
  if (!raw) throw new Error("missing --spec '<json>' ({url, headers, body})");
  const spec = JSON.parse(raw) as Partial<RequestSpec>;
  if (typeof spec.url !== "string" || typeof spec.body !== "string")
    throw new Error("--spec needs url and body");
  return { url: spec.url, headers: spec.headers ?? {}, body: spec.body };
}

/** A numeric `--name value` flag, or the fallback. */
export function numberFlag(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return value;
}

export function send(spec: RequestSpec, signal?: AbortSignal): Promise<Response> {
  return fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body, signal });
}

/** Reads a response body to its end, returning after the first chunk via `onFirstChunk`. */
export async function drain(response: Response, onFirstChunk?: () => void): Promise<number> {
  let bytes = 0;
  const reader = response.body?.getReader();
  if (!reader) return 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    if (bytes === 0 && value.byteLength > 0) onFirstChunk?.();
    bytes += value.byteLength;
  }
}
