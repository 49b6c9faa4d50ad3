import { homedir } from "node:os";
import { join } from "node:path";

import { Value } from "@sinclair/typebox/value";

import type { FlagSpec } from "./args";
import { parseDuration } from "./duration";
import { type Config, type OptionName, type OptionSchema, OptionsSchema, optionEntries } from "./options";

/** A bad option value: startup stops with exit code 2 and this message. */
export class ConfigError extends Error {
  constructor(
    readonly flag: string,
    detail: string,
  ) {
    super(`invalid value for --${flag}: ${detail}`);
  }
}

export interface Environment {
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

export function configFlagSpecs(): Map<string, FlagSpec> {
  return new Map(optionEntries().map(([, s]) => [s.flag, { boolean: s.kind === "boolean" }]));
}

/** Resolves every option: flag, else environment variable, else default. */
export function resolveConfig(flagValues: Map<string, string>, environment: Environment): Config {
  const config: Record<string, unknown> = {};
  for (const [name, schema] of optionEntries()) {
    const raw = flagValues.get(schema.flag) ?? environment.env[schema.env];
    const value = raw === undefined ? defaultValue(name, schema, environment) : parseValue(schema, raw);
    if (!Value.Check(schema, value)) {
      const error = Value.Errors(schema, value).First();
      throw new ConfigError(schema.flag, `${JSON.stringify(raw)} ${error?.message ?? "is not allowed"}`);
    }
    config[name] = value;
  }
  if (!Value.Check(OptionsSchema, config)) throw new Error("configuration does not match its schema");
  return config as Config;
}

function defaultValue(name: OptionName, schema: OptionSchema, { env, isTTY }: Environment): unknown {
  if (name === "dataDir") {
    const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
    return join(base, "aibridge");
  }
  if (name === "logFormat") return isTTY ? "human" : "json";
  return schema.default;
}

function parseValue(schema: OptionSchema, raw: string): unknown {
  const fail = (detail: string): never => {
    throw new ConfigError(schema.flag, `${JSON.stringify(raw)} ${detail}`);
  };
  const text = raw.trim();
  switch (schema.kind) {
    case "string":
      return raw;
    case "integer":
      if (!/^-?\d+$/.test(text)) fail("is not an integer");
      return Number(text);
    case "boolean": {
      const lower = text.toLowerCase();
      if (lower === "true" || lower === "1") return true;
      if (lower === "false" || lower === "0") return false;
      return fail("is not a boolean (true or false)");
    }
    case "duration": {
      const ms = parseDuration(text);
      return ms === null ? fail("is not a duration (e.g. 500ms, 10s, 15m, 720h, 60d)") : ms;
    }
    case "log-format":
      if (text !== "human" && text !== "json") fail("must be human or json");
      return text;
    case "address":
      if (text === "" && schema.minLength === undefined) return "";
      if (!parseAddress(text)) fail("is not a host:port address");
      return text;
    case "url":
      if (!isUrl(text, ["http:", "https:"])) fail("is not an http(s) URL");
      return text;
    case "postgres-url":
      if (text !== "" && !isUrl(text, ["postgres:", "postgresql:"])) fail("is not a postgres:// URL");
      return text;
    case "redis-url":
      if (text !== "" && !isUrl(text, ["redis:", "rediss:"])) fail("is not a redis:// or rediss:// URL");
      return text;
    case "dollars":
      if (!/^\d+(\.\d{1,6})?$/.test(text)) fail("is not an amount of dollars (e.g. 0, 25, 12.50)");
      return Number(text);
  }
}

function isUrl(text: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseAddress(text: string): { hostname: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  return { hostname: match[1] ?? (match[2] || "0.0.0.0"), port };
}
