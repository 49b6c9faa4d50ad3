import { modelNameProblem } from "../model-name";

// Narrowing helpers for untrusted provider JSON.
export type Json = Record<string, unknown>;

export function obj(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function parseJson(text: string): Json | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Copies the numeric fields that are present into `metadata` under their reference names. */
export function collect(metadata: Record<string, number>, pairs: [string, unknown][]): void {
  for (const [name, value] of pairs) {
    const n = num(value);
    if (n !== null) metadata[name] = n;
  }
}

/** `model` must be a non-empty string the gateway accepts as a name; every API shares this check. */
export function requireModel(body: Json): string | { error: string } {
  const model = body.model;
  if (typeof model !== "string" || model.trim() === "")
    return { error: "`model` is required and must be a string." };
  const problem = modelNameProblem(model);
  return problem ? { error: problem } : model;
}

/** The text of a content value: a string, or the last `text` part of an array of parts. */
export function lastText(content: unknown, partType = "text"): string | null {
  if (typeof content === "string") return content;
  const parts = arr(content);
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = obj(parts[i]);
    if (part?.type === partType && typeof part.text === "string") return part.text;
  }
  return null;
}
