import { BodyIdleError, type BodyLimits, BodyTooLargeError, readBody } from "../bridge/read-body";
import { DataPlaneError } from "./errors";

/** The body, or the refusal of one that is too large (413), stalled (408) or broken (400). */
export async function readBodyOrThrow(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  try {
    return await readBody(request, limits);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const mib = Math.floor(limits.maxBytes / (1024 * 1024));
      throw new DataPlaneError(413, "tooLarge", `Request body is larger than ${mib} MiB.`);
    }
    if (error instanceof BodyIdleError) {
      const seconds = limits.idleTimeoutMs / 1000;
      throw new DataPlaneError(408, "timeout", `No byte of the request body arrived for ${seconds} s.`);
    }
    throw new DataPlaneError(400, "invalidRequest", "Could not read the request body.");
  }
}
