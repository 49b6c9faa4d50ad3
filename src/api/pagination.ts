/** Validation of the management API's `limit`, `offset` and `after_id` query parameters (SPEC §9). Pure. */

import { isUuid } from "../db/uuid";
import type { Validation } from "./errors";

export interface RawPagination {
  limit?: string;
  offset?: string;
  after_id?: string;
}

export type PaginationResult =
  | { ok: true; limit: number; offset: number; afterId: string | null }
  | { ok: false; message: string; detail?: string; validations?: Validation[] };

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Keeps offsets inside a PostgreSQL integer and far from float precision trouble. */
export const MAX_OFFSET = 2 ** 31 - 1;

const INVALID_MESSAGE = "Query parameters have invalid values.";
const BOTH_CURSORS_DETAIL = "Cannot use both after_id and offset pagination in the same request.";
const DIGITS = /^[0-9]+$/;

/** `after_id` is only read when `opts.allowCursor` (the models list has no cursor). */
export function parsePagination(raw: RawPagination, opts: { allowCursor: boolean }): PaginationResult {
  const validations: Validation[] = [];

  let limit = DEFAULT_LIMIT;
  if (raw.limit !== undefined && raw.limit !== "") {
    const n = DIGITS.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (n >= 1 && n <= MAX_LIMIT) limit = n;
    else if (n !== 0) {
      validations.push({
        field: "limit",
        detail: `limit must be an integer from 1 to ${MAX_LIMIT} (0 or absent means ${DEFAULT_LIMIT}); got "${raw.limit}".`,
      });
    }
  }

  let offset = 0;
  if (raw.offset !== undefined && raw.offset !== "") {
    const n = DIGITS.test(raw.offset) ? Number(raw.offset) : Number.NaN;
    if (n >= 0 && n <= MAX_OFFSET) offset = n;
    else {
      validations.push({
        field: "offset",
        detail: `offset must be an integer from 0 to ${MAX_OFFSET}; got "${raw.offset}".`,
      });
    }
  }

  let afterId: string | null = null;
  if (opts.allowCursor && raw.after_id !== undefined && raw.after_id !== "") {
    if (isUuid(raw.after_id)) afterId = raw.after_id.toLowerCase();
    else validations.push({ field: "after_id", detail: `after_id must be a UUID; got "${raw.after_id}".` });
  }

  const bothCursors = afterId !== null && offset !== 0;
  if (bothCursors || validations.length > 0) {
    return {
      ok: false,
      message: INVALID_MESSAGE,
      ...(bothCursors ? { detail: BOTH_CURSORS_DETAIL } : {}),
      ...(validations.length > 0 ? { validations } : {}),
    };
  }
  return { ok: true, limit, offset, afterId };
}
