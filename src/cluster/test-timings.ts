import type { SharedRedisOptions } from "./shared-redis";

/**
 * Hidden, for tests only (tests/integration/replicas.test.ts runs real processes on a loaded
 * machine, where a process can stall longer than SPEC §16's 50 ms): `AIBRIDGE_TEST_REDIS_TIMEOUT`
 * (milliseconds) replaces the Redis command timeout. Absent or invalid: SPEC §16's values.
 */
export function redisTimingsFromEnv(
  env: Record<string, string | undefined>,
): Pick<SharedRedisOptions, "commandTimeoutMs"> | undefined {
  const ms = Number(env.AIBRIDGE_TEST_REDIS_TIMEOUT);
  return Number.isInteger(ms) && ms > 0 ? { commandTimeoutMs: ms } : undefined;
}
