/** The longest `model` a request may name, in characters (SPEC §13). */
export const MAX_MODEL_NAME_LENGTH = 256;

// C0 controls and DEL (SPEC §13).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why a client-chosen (non-empty) model name is refused, or null when it is acceptable (SPEC §13): up to 256
 * characters (code points), no control characters, no lone surrogates. The name keys breakers,
 * metric series and records, so nothing the gateway cannot store or show gets that far.
 */
export function modelNameProblem(model: string): string | null {
  if (model.length > MAX_MODEL_NAME_LENGTH && codePoints(model) > MAX_MODEL_NAME_LENGTH) {
    return `\`model\` must be at most ${MAX_MODEL_NAME_LENGTH} characters long.`;
  }
  if (CONTROL.test(model)) return "`model` must not contain control characters.";
  if (!model.isWellFormed()) return "`model` must not contain lone surrogates.";
  return null;
}

function codePoints(text: string): number {
  // Past twice the limit in UTF-16 units, it is over the limit in code points too.
  if (text.length > 2 * MAX_MODEL_NAME_LENGTH) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}
