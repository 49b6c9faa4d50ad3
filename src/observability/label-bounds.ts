/** Distinct values a label may take in one metric; later ones are counted under `other` (SPEC §13). */
export const MAX_LABEL_VALUES = 500;
/** Label values are cut to this many characters (SPEC §13). */
export const MAX_LABEL_VALUE_LENGTH = 128;
/** What values past a label's limit are counted under. */
export const OVERFLOW_LABEL_VALUE = "other";

/** A label value cut to its first 128 characters (code points: a surrogate pair is never split). */
export function cutLabelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE_LENGTH) return value;
  let end = 0;
  let count = 0;
  while (end < value.length && count < MAX_LABEL_VALUE_LENGTH) {
    end += isPairStart(value, end) ? 2 : 1;
    count++;
  }
  return value.slice(0, end);
}

function isPairStart(text: string, at: number): boolean {
  const high = text.charCodeAt(at);
  const low = text.charCodeAt(at + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/**
 * The values each label of one metric has taken: the first 500 distinct (cut) values of a label are
 * its own, every later one becomes `other`. Clients choose model names, so without this a metric
 * grows a series per name they invent.
 */
export class LabelValueBounds {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly maxValues = MAX_LABEL_VALUES) {}

  /** The value to export for `name=value`, admitting it if the label still has room. */
  admit(name: string, value: string): string {
    const cut = cutLabelValue(value);
    let values = this.seen.get(name);
    if (values === undefined) {
      values = new Set();
      this.seen.set(name, values);
    }
    if (values.has(cut)) return cut;
    if (values.size >= this.maxValues) return OVERFLOW_LABEL_VALUE;
    values.add(cut);
    return cut;
  }

  /** The value `admit` would give, without admitting anything. */
  peek(name: string, value: string): string {
    const cut = cutLabelValue(value);
    const values = this.seen.get(name);
    if (values?.has(cut) || (values?.size ?? 0) < this.maxValues) return cut;
    return OVERFLOW_LABEL_VALUE;
  }
}
