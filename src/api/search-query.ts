/**
 * The `q` search-query language of the management API (SPEC §9): pure parsing, no I/O.
 *
 * Grammar: terms are separated by whitespace; a term is `key:value` where the key ends at the first `:`
 * outside double quotes, or a bare `value`. Double quotes group characters (spaces, colons) anywhere in a
 * term, shell-style, and are removed: `model:"gpt 4"`, `"model":x` and `"a b"` all work. There is no
 * escape character, so a literal `"` cannot be searched for; `\` is an ordinary character.
 */

import { isUuid } from "../db/uuid";
import type { Validation } from "./errors";

export type { Validation } from "./errors";

export interface InterceptionFilter {
  initiator?: { kind: "me" } | { kind: "id"; id: string } | { kind: "username"; username: string };
  provider?: string;
  model?: string;
  client?: string;
  startedAfter?: Date;
  startedBefore?: Date;
}

export type InterceptionQueryResult =
  | { ok: true; filter: InterceptionFilter }
  | { ok: false; validations: Validation[] };

/** The sessions list's filter (SPEC §14): the interceptions' keys and `session_id`. */
export interface SessionFilter extends InterceptionFilter {
  sessionId?: string;
}

export type SessionQueryResult =
  | { ok: true; filter: SessionFilter }
  | { ok: false; validations: Validation[] };

export type ModelsQueryResult =
  | { ok: true; prefix: string | null }
  | { ok: false; validations: Validation[] };

const INTERCEPTION_KEYS = [
  "initiator",
  "provider",
  "model",
  "client",
  "started_after",
  "started_before",
] as const;
const SESSION_KEYS = [...INTERCEPTION_KEYS, "session_id"] as const;
type SessionKey = (typeof SESSION_KEYS)[number];

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const TIME_EXAMPLE = "2025-01-02T15:04:05Z";

/** One whitespace-separated term, quotes removed. `key` is null for a bare term (no unquoted colon). */
interface Term {
  raw: string;
  key: string | null;
  value: string;
  unterminatedQuote: boolean;
}

function tokenizeSearchQuery(q: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < q.length) {
    if (isSpace(q[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let inQuote = false;
    let key: string | null = null;
    let buffer = "";
    for (; i < q.length; i++) {
      const c = q[i]!;
      if (inQuote) {
        if (c === '"') inQuote = false;
        else buffer += c;
      } else if (c === '"') {
        inQuote = true;
      } else if (isSpace(c)) {
        break;
      } else if (c === ":" && key === null) {
        key = buffer;
        buffer = "";
      } else {
        buffer += c;
      }
    }
    terms.push({ raw: q.slice(start, i), key, value: buffer, unterminatedQuote: inQuote });
  }
  return terms;
}

function isSpace(c: string): boolean {
  return /\s/.test(c);
}

/** Parses the `q` of `GET /api/v2/aibridge/interceptions`, reporting every problem at once. */
export function parseInterceptionQuery(q: string | undefined): InterceptionQueryResult {
  return parseFilterQuery(q, INTERCEPTION_KEYS, "initiator");
}

/** Parses the `q` of `GET /api/v2/aibridge/sessions`: a bare term is an error, not an initiator. */
export function parseSessionQuery(q: string | undefined): SessionQueryResult {
  return parseFilterQuery(q, SESSION_KEYS, null);
}

function parseFilterQuery<K extends SessionKey>(
  q: string | undefined,
  keys: readonly K[],
  bareKey: K | null,
): { ok: true; filter: SessionFilter } | { ok: false; validations: Validation[] } {
  const errors = new ValidationList();
  const filter: SessionFilter = {};
  const accepted = new Map<K, { canonical: string; raw: string }>();

  for (const term of tokenizeSearchQuery(q ?? "")) {
    const key = resolveKey(term, keys, errors, bareKey);
    if (key === null) continue;
    const value = termValue(term, key, errors);
    if (value === null) continue;

    const parsed = parseInterceptionValue(key, value);
    if (typeof parsed === "string") {
      errors.add(key, parsed);
      continue;
    }
    const previous = accepted.get(key);
    if (previous === undefined) {
      accepted.set(key, { canonical: parsed.canonical, raw: value });
      parsed.apply(filter);
    } else if (previous.canonical !== parsed.canonical) {
      errors.add(
        key,
        `${key} is given more than once with different values ("${previous.raw}" and "${value}").`,
      );
    }
  }

  const { startedAfter, startedBefore } = filter;
  if (startedAfter && startedBefore && startedBefore.getTime() <= startedAfter.getTime()) {
    errors.add(
      "started_before",
      `started_before (${startedBefore.toISOString()}) must be after started_after (${startedAfter.toISOString()}).`,
    );
  }
  return errors.isEmpty() ? { ok: true, filter } : { ok: false, validations: errors.list() };
}

/** Parses the `q` of `GET /api/v2/aibridge/models`: a bare term or `model:<prefix>`, kept verbatim. */
export function parseModelsQuery(q: string | undefined): ModelsQueryResult {
  return parsePrefixQuery(q, "model");
}

/** Parses the `q` of `GET /api/v2/aibridge/clients`: a bare term or `client:<prefix>`, kept verbatim. */
export function parseClientsQuery(q: string | undefined): ModelsQueryResult {
  return parsePrefixQuery(q, "client");
}

function parsePrefixQuery(q: string | undefined, onlyKey: string): ModelsQueryResult {
  const errors = new ValidationList();
  let prefix: string | null = null;
  for (const term of tokenizeSearchQuery(q ?? "")) {
    const key = resolveKey(term, [onlyKey] as const, errors, onlyKey);
    if (key === null) continue;
    const value = termValue(term, key, errors);
    if (value === null) continue;
    if (prefix === null) prefix = value;
    else if (prefix !== value) {
      errors.add(
        onlyKey,
        `${onlyKey} is given more than once with different values ("${prefix}" and "${value}").`,
      );
    }
  }
  return errors.isEmpty() ? { ok: true, prefix } : { ok: false, validations: errors.list() };
}

/** Escapes LIKE wildcards for `LIKE <escaped> || '%'` with the default escape character `\`. */
export function escapeLikePattern(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The canonical key of a term, or null (with validations added) when the key is empty or unknown.
 * A bare term gets `bareKey` (`initiator` for interceptions); where there is none it is an error.
 */
function resolveKey<K extends string>(
  term: Term,
  validKeys: readonly K[],
  errors: ValidationList,
  bareKey: K | null,
): K | null {
  if (term.key === null) {
    if (bareKey === null) {
      errors.add(
        "q",
        `no search key specified in "${term.raw}"; use key:value with key one of ${validKeys.join(", ")}.`,
      );
    }
    return bareKey;
  }
  if (term.key === "") {
    errors.add(
      "q",
      `Term "${term.raw}" has an empty key; expected key:value with key one of ${validKeys.join(", ")}.`,
    );
    return null;
  }
  const lower = term.key.toLowerCase();
  const known = validKeys.find((k) => k === lower);
  if (known !== undefined) return known;
  errors.add(term.key, `Unknown search key "${term.key}"; valid keys are ${validKeys.join(", ")}.`);
  if (term.unterminatedQuote) errors.add(term.key, unterminated(term));
  return null;
}

/** The term's value, or null (with a validation added) when it cannot be used. */
function termValue(term: Term, key: string, errors: ValidationList): string | null {
  if (term.unterminatedQuote) {
    errors.add(key, unterminated(term));
    return null;
  }
  if (term.value === "") {
    errors.add(key, `Empty value for ${key} in term "${term.raw}".`);
    return null;
  }
  // PostgreSQL text cannot hold NUL; letting it through would turn a bad query into a 500.
  if (term.value.includes("\u0000")) {
    errors.add(key, `Value for ${key} must not contain NUL characters.`);
    return null;
  }
  return term.value;
}

function unterminated(term: Term): string {
  return `Unterminated double quote in term "${term.raw}".`;
}

interface ParsedValue {
  /** Two terms for the same key conflict when their canonical forms differ. */
  canonical: string;
  apply(filter: SessionFilter): void;
}

/** A parsed value, or the detail of why it is invalid. */
function parseInterceptionValue(key: SessionKey, value: string): ParsedValue | string {
  switch (key) {
    case "session_id":
      return {
        canonical: value,
        apply: (f) => {
          f.sessionId = value;
        },
      };
    case "initiator": {
      if (value.toLowerCase() === "me") {
        return {
          canonical: "me",
          apply: (f) => {
            f.initiator = { kind: "me" };
          },
        };
      }
      if (isUuid(value)) {
        const id = value.toLowerCase();
        return {
          canonical: `id:${id}`,
          apply: (f) => {
            f.initiator = { kind: "id", id };
          },
        };
      }
      return {
        canonical: `username:${value}`,
        apply: (f) => {
          f.initiator = { kind: "username", username: value };
        },
      };
    }
    case "provider":
    case "model":
    case "client":
      return {
        canonical: value,
        apply: (f) => {
          f[key] = value;
        },
      };
    case "started_after":
    case "started_before": {
      const time = parseRfc3339(value);
      if (time === null) {
        return `Invalid RFC 3339 date-time "${value}" for ${key}; expected a date, time and zone such as ${TIME_EXAMPLE}.`;
      }
      const field = key === "started_after" ? "startedAfter" : "startedBefore";
      return {
        canonical: String(time.getTime()),
        apply: (f) => {
          f[field] = time;
        },
      };
    }
  }
}

/**
 * Strict RFC 3339 date-time: zone required (`Z` or `±hh:mm`), fractional seconds allowed (truncated to
 * milliseconds, the precision of Date), calendar-checked (no month 13, no Feb 30). Leap second 60 is rejected.
 */
export function parseRfc3339(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ?? "";
  const [sign, offsetHour, offsetMinute] = [m[9], Number(m[10] ?? 0), Number(m[11] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return null;

  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  // Date.UTC maps years 0-99 to 1900-1999, so the year is set separately.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000;
  return new Date(date.getTime() - (sign === "-" ? -offsetMs : offsetMs));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Collects validations in order, dropping exact duplicates. */
class ValidationList {
  private readonly items: Validation[] = [];
  private readonly seen = new Set<string>();

  add(field: string, detail: string): void {
    const id = `${field}\u0000${detail}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.items.push({ field, detail });
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  list(): Validation[] {
    return this.items;
  }
}
