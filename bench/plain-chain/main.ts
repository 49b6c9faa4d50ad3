/**
 * `bun bench/plain-chain/main.ts server [options]`: the gateway with the plain-call reference data
 * plane, for the `aibridge-plain` scenario. Same options as `aibridge server`.
 */
import { parseArgs } from "../../src/config/args.ts";
import { configFlagSpecs, resolveConfig } from "../../src/config/parse.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { startServer } from "../../src/server.ts";
import { createPlainApp } from "./app.ts";

const { values } = parseArgs(
  process.argv.slice(2).filter((a) => a !== "server"),
  configFlagSpecs(),
);
const config = resolveConfig(values, { env: process.env, isTTY: false });
const logger = createLogger(config.logFormat);
const running = await startServer(config, { logger, createApp: createPlainApp });
const stop = () => running.shutdown().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
