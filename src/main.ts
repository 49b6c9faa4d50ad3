#!/usr/bin/env bun
import pkg from "../package.json" with { type: "json" };
import { CommandError } from "./cli/command-error";
import type { Command } from "./cli/commands";
import { healthcheckCommand } from "./cli/healthcheck-command";
import { liftFetchLimit } from "./cli/lift-fetch-limit";
import { migrateCommand } from "./cli/migrate-command";
import { serverCommand } from "./cli/server-command";
import { tokensCreateCommand } from "./cli/tokens-command";
import { usersCreateCommand } from "./cli/users-command";
import { type FlagSpec, parseArgs, UsageError } from "./config/args";
import { optionsHelp } from "./config/help";
import { ConfigError, configFlagSpecs, resolveConfig } from "./config/parse";
import { writeStderr } from "./observability/logger";

const COMMANDS: Command[] = [
  serverCommand,
  usersCreateCommand,
  tokensCreateCommand,
  migrateCommand,
  healthcheckCommand,
];

function findCommand(positionals: string[]): Command | null {
  const words = positionals.join(" ");
  if (words === "") return serverCommand;
  return COMMANDS.find((c) => c.name === words) ?? null;
}

function helpText(command: Command | null): string {
  if (!command || command === serverCommand) {
    const list = COMMANDS.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`).join("\n");
    const intro = command
      ? `Usage: ${command.usage}\n\n${command.summary}.\n`
      : "Usage: aibridge <command> [options]\n";
    return `${intro}\nCommands:\n${list}\n\nOptions (every command; flags beat environment variables):\n${optionsHelp()}\n  --help\n  --version\n`;
  }
  const own = Object.entries(command.flags)
    .map(([name, spec]) => `  --${name}  ${spec.help}`)
    .join("\n");
  return `Usage: ${command.usage}\n\n${command.summary}.\n\nFlags:\n${own}\n\nDatabase and logging options as for the server:\n${optionsHelp()}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const flagSpecs = new Map<string, FlagSpec>([
    ...configFlagSpecs(),
    ["help", { boolean: true }],
    ["version", { boolean: true }],
  ]);
  for (const command of COMMANDS)
    for (const [name, spec] of Object.entries(command.flags)) flagSpecs.set(name, spec);

  let command: Command | null = null;
  try {
    const { values, positionals } = parseArgs(argv, flagSpecs);
    command = findCommand(positionals);
    if (values.get("version") === "true") {
      process.stdout.write(`aibridge ${pkg.version}\n`);
      return 0;
    }
    if (values.get("help") === "true") {
      process.stdout.write(helpText(command));
      return 0;
    }
    if (!command) throw new UsageError(`unknown command "${positionals.join(" ")}"`);
    for (const name of values.keys()) {
      const ownFlag = name in command.flags;
      if (!ownFlag && !configFlagSpecs().has(name))
        throw new UsageError(`flag --${name} does not apply to ${command.name}`);
    }
    const config = resolveConfig(values, { env: process.env, isTTY: Boolean(process.stderr.isTTY) });
    const flags = new Map([...values].filter(([name]) => name in command!.flags));
    if (command === serverCommand) liftFetchLimit();
    return await command.run({ config, flags, stdout: (text) => process.stdout.write(text) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      writeStderr(
        `aibridge: ${error.message}\nRun 'aibridge ${command && command !== serverCommand ? `${command.name} ` : ""}--help' for usage.\n`,
      );
      return 2;
    }
    if (error instanceof CommandError) {
      writeStderr(`aibridge: ${error.message}\n`);
      return error.exitCode;
    }
    writeStderr(`aibridge: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
