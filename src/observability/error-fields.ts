/*
 * What a log line may say about an error (SPEC §13: logs never contain SQL parameters, key hashes
 * or request bodies). Drizzle's query errors put every parameter in their message (a new key's
 * secret hash, a user's email); database errors quote the offending value. Only the error's kind,
 * its SQLSTATE and its message without values are kept, at every level of `cause`.
 */

export interface ErrorFields {
  name: string;
  message: string;
  code?: string;
  cause?: ErrorFields;
}

const MAX_CAUSES = 3;

// A database message ends with the value it could not take: `… for type uuid: "…"`.
const QUOTED_VALUE = /: ".*"$/s;

function codeOf(error: Error): string | undefined {
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof errno === "string" && /^[0-9A-Z]{5}$/.test(errno)) return errno;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: Error, code: string | undefined): string {
  const { query } = error as { query?: unknown };
  // DrizzleQueryError: `Failed query: <sql>\nparams: <values>`; the statement text has placeholders only.
  if (typeof query === "string" && error.message.startsWith("Failed query:")) return `Failed query: ${query}`;
  let message = error.message;
  const params = message.indexOf("\nparams:");
  if (params >= 0) message = message.slice(0, params);
  if (code && /^[0-9A-Z]{5}$/.test(code)) message = message.replace(QUOTED_VALUE, ': "…"');
  return message;
}

export function errorFields(error: unknown, depth = 0): ErrorFields {
  if (!(error instanceof Error)) return { name: typeof error, message: "(not an Error)" };
  const code = codeOf(error);
  const fields: ErrorFields = { name: error.name, message: messageOf(error, code) };
  if (code) fields.code = code;
  if (error.cause !== undefined && depth < MAX_CAUSES) fields.cause = errorFields(error.cause, depth + 1);
  return fields;
}
