import type { FlagSpec } from "../config/args";
import type { Config } from "../config/options";

export interface CommandContext {
  config: Config;
  /** The command's own flags (beyond the configuration options). */
  flags: Map<string, string>;
  stdout: (text: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec & { help: string }>;
  run(context: CommandContext): Promise<number>;
}
