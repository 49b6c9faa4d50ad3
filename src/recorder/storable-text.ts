/*
 * PostgreSQL cannot store NUL in `text` or `jsonb`, and a lone UTF-16 surrogate has no UTF-8 form:
 * either one in a recorded value fails the statement that carries it (SPEC §13 "Unstorable
 * text"). Records keep everything else as sent; these two become U+FFFD.
 */

const REPLACEMENT = "\uFFFD";

/** `text` with NUL and lone surrogates replaced by U+FFFD; the same string when it has neither. */
export function storableText(text: string): string {
  if (text.isWellFormed() && !text.includes("\0")) return text;
  return text.toWellFormed().replaceAll("\0", REPLACEMENT);
}

export function storableNullableText(text: string | null): string | null {
  return text === null ? null : storableText(text);
}

/** A JSON value (a `jsonb` column) with every string in it, keys included, made storable. */
export function storableJson<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const items = value.map(storableJson);
    return (items.every((item, i) => item === value[i]) ? value : items) as T;
  }
  const entries = Object.entries(value);
  const storable = entries.map(([key, item]) => [storableText(key), storableJson(item)] as const);
  if (storable.every(([key, item], i) => key === entries[i]![0] && item === entries[i]![1])) return value;
  return Object.fromEntries(storable) as T;
}
