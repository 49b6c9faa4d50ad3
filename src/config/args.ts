export class UsageError extends Error {}

export interface FlagSpec {
  boolean: boolean;
}

export interface ParsedArgs {
  values: Map<string, string>;
  positionals: string[];
}

const BOOLEAN_WORDS = new Set(["true", "false"]);

/**
 * Splits `--name value`, `--name=value` and bare boolean `--name` (optionally followed by true|false).
 * Unknown flags are usage errors so typos never pass silently.
 */
export function parseArgs(argv: string[], flags: Map<string, FlagSpec>): ParsedArgs {
  const values = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = flags.get(name);
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (eq !== -1) {
      values.set(name, arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (spec.boolean) {
      if (next !== undefined && BOOLEAN_WORDS.has(next.toLowerCase())) {
        values.set(name, next);
        i++;
      } else {
        values.set(name, "true");
      }
      continue;
    }
    if (next === undefined) throw new UsageError(`flag --${name} needs a value`);
    values.set(name, next);
    i++;
  }
  return { values, positionals };
}
