import { providerError } from "./error-response";
import type { Flight } from "./flight";

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
 * Reads a request body, refusing more than `maxBytes` (a declared length before reading) and giving
 * up when no byte arrives for `idleTimeoutMs`: a stalled client must not hold its concurrency slot
 * forever. One timer per body, re-armed as bytes arrive.
 */
export async function readBody(request: Request, limits: BodyLimits = BODY_LIMITS): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw new BodyTooLargeError();
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

/** The body, or the provider-shaped answer to a body that is too large (413), stalled (408) or broken (400). */
export async function readBodyOrRefuse(
  flight: Flight,
  request: Request,
  limits: BodyLimits,
): Promise<Uint8Array | Response> {
  try {
    return await readBody(request, limits);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const mib = Math.floor(limits.maxBytes / (1024 * 1024));
      return providerError(flight, 413, "tooLarge", `Request body is larger than ${mib} MiB.`);
    }
    if (error instanceof BodyIdleError) {
      const seconds = limits.idleTimeoutMs / 1000;
      return providerError(flight, 408, "timeout", `No byte of the request body arrived for ${seconds} s.`);
    }
    return providerError(flight, 400, "invalidRequest", "Could not read the request body.");
  }
}
