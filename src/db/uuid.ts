const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Pure (no database import), so the query parsers can share it with the data layer. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
