export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/**
 * Reads a request body, refusing more than `limit` bytes. A declared length over the limit is
 * refused before reading; an undeclared (chunked) one is bounded by the server's own body limit.
 */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new BodyTooLargeError();
  const body = await request.bytes();
  if (body.byteLength > limit) throw new BodyTooLargeError();
  return body;
}
