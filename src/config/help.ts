import { formatDuration } from "./duration";
import { optionEntries } from "./options";

/** Help text for every option, generated from the schema. */
export function optionsHelp(): string {
  const lines: string[] = [];
  for (const [, schema] of optionEntries()) {
    const def =
      schema.defaultText ??
      (schema.kind === "duration"
        ? formatDuration(schema.default as number)
        : JSON.stringify(schema.default));
    lines.push(`  --${schema.flag}  (env ${schema.env}, default ${def})`, `      ${schema.description}`);
  }
  return lines.join("\n");
}
