export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** A request body that sends no byte for this long is given up on (SPEC §13). */
export const BODY_IDLE_TIMEOUT_MS = 30_000;

export class BodyTooLargeError extends Error {}
export class BodyIdleError extends Error {}

export interface BodyLimits {
  /** Most bytes a body may have. */
  maxBytes: number;
  /** Longest wait for the next byte. */
  idleTimeoutMs: number;
}

export const BODY_LIMITS: BodyLimits = { maxBytes: MAX_BODY_BYTES, idleTimeoutMs: BODY_IDLE_TIMEOUT_MS };

/**
 * A body declared this small is read natively in one piece: reading it chunk by chunk through a JS
 * stream (a reader, a timer, a race per chunk) was ~4 % of the gateway's CPU profile (bench/README.md).
 * Such a body gets the idle timeout for all of it, so it must arrive at ≥ 8.7 KB/s on average.
 */
const WHOLE_READ_BYTES = 256 * 1024;

async function readWhole(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyIdleError()), limits.idleTimeoutMs);
  });
  try {
    const body = await Promise.race([request.bytes(), idle]);
    if (body.byteLength > limits.maxBytes) throw new BodyTooLargeError();
    return body;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a request body, refusing more than `maxBytes` (a declared length before reading) and giving
 * up when no byte arrives for `idleTimeoutMs`: a stalled client must not hold its concurrency slot
 * forever. One timer per body, re-armed as bytes arrive.
 */
export async function readBody(request: Request, limits: BodyLimits = BODY_LIMITS): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw new BodyTooLargeError();
  if (declared > 0 && declared <= WHOLE_READ_BYTES) return readWhole(request, limits);
  const body = request.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  let stalled!: (error: BodyIdleError) => void;
  const idle = new Promise<never>((_, reject) => {
    stalled = reject;
  });
  const timer = setTimeout(() => stalled(new BodyIdleError()), limits.idleTimeoutMs);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), idle]);
      if (done) break;
      total += value.byteLength;
      if (total > limits.maxBytes) throw new BodyTooLargeError();
      chunks.push(value);
      timer.refresh();
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
