import { redisTimingsFromEnv } from "../cluster/test-timings";
import { parseDuration } from "../config/duration";
import { createLogger } from "../observability/logger";
import { DEFAULT_LIVENESS, type LivenessTimings } from "../recorder/instance-liveness";
import { startServer } from "../server";
import type { Command } from "./commands";

export const serverCommand: Command = {
  name: "server",
  summary: "Run the gateway (the default command)",
  usage: "aibridge [server] [options]",
  flags: {},
  async run({ config }) {
    const logger = createLogger(config.logFormat);
    const running = await startServer(config, {
      logger,
      redisTimings: redisTimingsFromEnv(process.env),
      liveness: livenessFromEnv(process.env),
    });
    // Exit 3: records had to be spilled to disk (SPEC §12, §13); the next start replays them.
    const done = new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        logger.info("signal received", { signal });
        running.shutdown().then(
          ({ spilled }) => resolve(spilled > 0 ? 3 : 0),
          (error) => {
            logger.error("shutdown failed", { error });
            resolve(1);
          },
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return await done;
  },
};

/**
 * Hidden, for tests only (tests/integration/crash-sweep.test.ts kills a real process): the crash
 * sweep's heartbeat period and staleness, SPEC §13's 10 s and 60 s unless overridden.
 */
function livenessFromEnv(env: Record<string, string | undefined>): LivenessTimings {
  const read = (name: string, fallback: number) => {
    const value = env[name] ? parseDuration(env[name]) : null;
    return value && value > 0 ? value : fallback;
  };
  return {
    heartbeatMs: read("AIBRIDGE_TEST_HEARTBEAT_INTERVAL", DEFAULT_LIVENESS.heartbeatMs),
    staleAfterMs: read("AIBRIDGE_TEST_INSTANCE_STALE_AFTER", DEFAULT_LIVENESS.staleAfterMs),
  };
}
