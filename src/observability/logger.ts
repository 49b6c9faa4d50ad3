import { writeSync } from "node:fs";

import { errorFields } from "./error-fields";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

let pendingStderr = "";

function flushStderr(): void {
  const text = pendingStderr;
  pendingStderr = "";
  if (text) process.stderr.write(text);
}

process.on("exit", () => {
  const text = pendingStderr;
  pendingStderr = "";
  if (!text) return;
  try {
    writeSync(2, text);
  } catch {
    process.stderr.write(text);
  }
});

/**
 * Writes to stderr once per event-loop turn, however many lines the turn produced: the gateway logs
 * a line per interception, and a write call per line costs more than the rest of the logging.
 * Flushed at exit. Everything the process prints on stderr goes through here, to keep its order.
 */
export function writeStderr(text: string): void {
  if (!pendingStderr) setImmediate(flushStderr);
  pendingStderr += text;
}

/** Structured logs on stderr (stdout is reserved for command results). */
export function createLogger(format: "human" | "json", write: (line: string) => void = writeStderr): Logger {
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const time = new Date().toISOString();
    if (format === "json") {
      const record = { time, level, msg, ...fields };
      write(`${needsReplacer(fields) ? JSON.stringify(record, jsonSafe) : JSON.stringify(record)}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonSafe)}`)
      .join(" ");
    write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ""}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

// A replacer is called for every key: only pay for it when a field holds an object or a bigint.
function needsReplacer(fields: LogFields): boolean {
  for (const key in fields) {
    const type = typeof fields[key];
    if (type === "object" || type === "bigint") return true;
  }
  return false;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return errorFields(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
