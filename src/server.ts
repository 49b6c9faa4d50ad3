import { hostname } from "node:os";
import { join } from "node:path";

import { type App, type AppDeps, createApp } from "./app";
import { IdentityResolver } from "./auth/identity";
import { issueApiKey } from "./auth/issue-key";
import { TtlCache } from "./auth/pool";
import { type BreakerState, CircuitBreakers } from "./bridge/circuit-breaker";
import { anthropicProvider } from "./bridge/providers/anthropic";
import { openaiProvider } from "./bridge/providers/openai";
import type { Provider } from "./bridge/providers/types";
import { BODY_LIMITS } from "./bridge/read-body";
import { CommandError } from "./cli/command-error";
import { openMigratedDatabase } from "./cli/database";
import { type IdentityListener, listenForIdentityChanges } from "./cluster/identity-listener";
import { bunRedisConnection, SharedRedis, type SharedRedisOptions } from "./cluster/shared-redis";
import { SharedSpendLedger } from "./cluster/shared-spend-ledger";
import type { Config } from "./config/options";
import { parseAddress } from "./config/parse";
import { Budgets } from "./cost/budgets";
import { UsageCosting } from "./cost/costing";
import { PriceService } from "./cost/price-service";
import { InMemorySpendLedger } from "./cost/spend-ledger";
import type { Database } from "./db/engine";
import { databaseClockOffset, heartbeat, removeInstance, sweepDeadInstances } from "./db/instances";
import { isMigrated } from "./db/migrate";
import { countUsers, createUser, UsernameTakenError } from "./db/users";
import { type Logger, writeStderr } from "./observability/logger";
import { createMetrics, type Metrics } from "./observability/metrics";
import { startMetricsServer } from "./observability/metrics-server";
import { ConcurrencyLimiter } from "./overload/concurrency";
import { RateLimiter, type RequestRateLimit } from "./overload/rate-limiter";
import { SharedRateLimiter } from "./overload/shared-rate-limiter";
import { DEFAULT_LIVENESS, InstanceLiveness, type LivenessTimings } from "./recorder/instance-liveness";
import { Recorder } from "./recorder/recorder";
import { deleteExpiredInterceptions } from "./recorder/retention";
import { insertInterceptions, writeBatch } from "./recorder/write-batch";

/** `<data dir>/spill`: records not yet in the database (SPEC §13), on either engine. */
export const spillDir = (config: Config) => join(config.dataDir, "spill");

// Time the recorder keeps for its last writes when in-flight requests used the whole grace period.
const MIN_DRAIN_MS = 1000;

export interface RunningServer {
  url: string;
  app: App;
  database: Database;
  metrics: Metrics;
  recorder: Recorder;
  prices: PriceService;
  budgets: Budgets;
  concurrency: ConcurrencyLimiter;
  identities: IdentityResolver;
  /** The admin key printed on first start, if this start created it. */
  bootstrapKey: string | null;
  /**
   * Graceful stop: stop accepting, let in-flight finish within the grace period, flush records,
   * close. Resolves to the number of records this process had to spill to disk (exit code 3).
   */
  shutdown(): Promise<{ spilled: number }>;
}

export interface ServerOptions {
  logger: Logger;
  /** Where the one-time admin key block goes (stderr in production). */
  announce?: (text: string) => void;
  now?: () => number;
  /** Longest wait for the next byte of a request body (default 30 s; tests shorten it). */
  bodyIdleTimeoutMs?: number;
  /** Builds the HTTP surface; the benchmark swaps in its plain-call reference data plane here. */
  createApp?: (deps: AppDeps) => App;
  /** Tests only: Redis timings other than SPEC §16's 50 ms command timeout and 1 s retry period. */
  redisTimings?: Pick<SharedRedisOptions, "commandTimeoutMs" | "retryEveryMs">;
  /** Heartbeat period and staleness of the crash sweep (SPEC §13: 10 s, 60 s); shorter in tests. */
  liveness?: LivenessTimings;
}

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 0.5, open: 1 };
const RETENTION_EVERY_MS = 3_600_000;

async function bootstrapAdmin(database: Database, announce: (text: string) => void): Promise<string | null> {
  if ((await countUsers(database.db)) > 0) return null;
  let admin: Awaited<ReturnType<typeof createUser>>;
  try {
    admin = await createUser(database.db, { username: "admin", name: "Administrator", role: "owner" });
  } catch (error) {
    if (error instanceof UsernameTakenError) return null; // another instance won the race
    throw error;
  }
  const { key } = await issueApiKey(database.db, admin.id, { name: "bootstrap" });
  const rule = "=".repeat(72);
  announce(
    `\n${rule}\naibridge: first start on an empty database: created user "admin" (role owner).\nIts API key is shown only this once; store it now:\n\n    ${key}\n\nUse it in X-Coder-Token, Authorization: Bearer or Coder-Session-Token.\n${rule}\n\n`,
  );
  return key;
}

function buildProviders(config: Config): Map<string, Provider> {
  return new Map<string, Provider>([
    ["openai", openaiProvider({ baseUrl: config.openaiBaseUrl, key: config.openaiKey })],
    ["anthropic", anthropicProvider({ baseUrl: config.anthropicBaseUrl, key: config.anthropicKey })],
  ]);
}

/** Keys of the shared rate limit and spend in Redis. */
const RATE_LIMIT_PREFIX = "aibridge:rl:";
const SPEND_PREFIX = "aibridge:spend:";

/**
 * The per-key rate limit (SPEC §6): shared by every replica on one Redis when there is one (SPEC §16),
 * with the in-process limiter deciding whenever Redis is unreachable.
 */
function rateLimit(config: Config, redis: SharedRedis | null, now: () => number): RequestRateLimit | null {
  if (config.rateLimit <= 0) return null;
  const local = new RateLimiter({ limit: config.rateLimit, now });
  if (!redis) return local;
  return new SharedRateLimiter({
    limit: config.rateLimit,
    store: redis,
    fallback: local,
    prefix: RATE_LIMIT_PREFIX,
  });
}

export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const announce = options.announce ?? writeStderr;
  const address = parseAddress(config.httpAddress)!;
  const database = await openMigratedDatabase(config, logger);
  const metrics = createMetrics();
  let shuttingDown = false;
  let liveness: InstanceLiveness | null = null;
  let identityListener: IdentityListener | null = null;
  let sharedRedis: SharedRedis | null = null;

  try {
    const bootstrapKey = await bootstrapAdmin(database, announce);
    const prices = new PriceService(database.db, now, (error) =>
      logger.warn("could not refresh prices", { error }),
    );
    await prices.start();
    // What replicas share through Redis (SPEC §16). Starting never fails on Redis: without it,
    // limits are per process until it answers.
    if (config.redisUrl) {
      sharedRedis = new SharedRedis({
        connection: bunRedisConnection(config.redisUrl),
        logger,
        onUpChange: (up) => metrics.redisUp.set(up ? 1 : 0),
        ...options.redisTimings,
      });
      await sharedRedis.start();
    }
    // Each user's monthly spend: shared by the replicas on one Redis (SPEC §15, §16).
    const sharedLedger = sharedRedis
      ? new SharedSpendLedger({ store: sharedRedis, prefix: SPEND_PREFIX })
      : null;
    sharedLedger?.start();
    const ledger = sharedLedger ?? new InMemorySpendLedger();
    const budgets = new Budgets({
      db: database.db,
      ledger,
      defaultLimitMicros: Math.round(config.defaultMonthlyBudget * 1_000_000),
      now,
      onRefreshError: (error) => logger.warn("could not refresh budgets", { error }),
    });
    await budgets.start();
    const instance = {
      id: Bun.randomUUIDv7(),
      hostname: hostname(),
      pid: process.pid,
      startedAt: new Date(now()),
    };
    const recorder = new Recorder({
      instanceId: instance.id,
      writer: {
        insertInterceptions: (rows) => insertInterceptions(database, rows),
        writeBatch: (batch) => writeBatch(database, batch),
      },
      logger,
      metrics,
      costing: new UsageCosting(prices.book, ledger, metrics),
      spillDir: spillDir(config),
      queueLimit: config.recordingQueueLimit,
    });
    // Records earlier processes could not write go in before this one serves.
    await recorder.replaySpill();
    // This process's times, moved onto the database's clock (measured again at every heartbeat).
    let clockOffset = 0;
    liveness = new InstanceLiveness(
      {
        heartbeat: async (at) => {
          clockOffset = await databaseClockOffset(database, now);
          await heartbeat(database, instance, new Date(at.getTime() + clockOffset));
        },
        sweep: (cutoff) =>
          sweepDeadInstances(database, instance.id, new Date(cutoff.getTime() + clockOffset)),
      },
      logger,
      now,
      options.liveness ?? DEFAULT_LIVENESS,
    );
    await liveness.start();
    const identities = new IdentityResolver(
      database.db,
      new TtlCache(config.poolSize, config.poolTtl, now),
      now,
      (error) => logger.warn("could not update an API key's last-used time", { error }),
    );
    // Replicas on one PostgreSQL learn of each other's identity changes (SPEC §16).
    identityListener =
      database.engine === "postgres"
        ? await listenForIdentityChanges(config.postgresUrl, identities, logger)
        : null;
    const concurrency = new ConcurrencyLimiter(config.maxConcurrency);
    metrics.dataPlaneInFlight.collect(() => metrics.dataPlaneInFlight.set(concurrency.inFlight));
    const breakers = config.circuitBreakerEnabled
      ? new CircuitBreakers(
          {
            failureThreshold: config.circuitBreakerFailureThreshold,
            intervalMs: config.circuitBreakerInterval,
            timeoutMs: config.circuitBreakerTimeout,
            maxRequests: config.circuitBreakerMaxRequests,
            now,
          },
          (key, from, to) => {
            logger.warn("circuit breaker transition", { ...key, from, to });
            metrics.circuitBreakerState.set(BREAKER_STATE_VALUE[to], { ...key });
            if (to === "open") metrics.circuitBreakerTripsTotal.inc({ ...key });
          },
        )
      : null;

    const app = (options.createApp ?? createApp)({
      db: database.db,
      logger,
      metrics,
      recorder,
      identities,
      providers: buildProviders(config),
      concurrency,
      rateLimiter: rateLimit(config, sharedRedis, now),
      breakers,
      budgets,
      prices,
      now,
      allowByok: config.allowByok,
      sendActorHeaders: config.sendActorHeaders,
      bodyLimits: { ...BODY_LIMITS, idleTimeoutMs: options.bodyIdleTimeoutMs ?? BODY_LIMITS.idleTimeoutMs },
      recording: {
        prompts: config.recordPrompts,
        toolInputs: config.recordToolInputs,
        thoughts: config.recordThoughts,
      },
      ready: async () => {
        if (shuttingDown) return { ok: false, reason: "shutting down" };
        try {
          return (await isMigrated(database.db)) ? { ok: true } : { ok: false, reason: "migrations pending" };
        } catch {
          return { ok: false, reason: "database unreachable" };
        }
      },
    });

    try {
      app.listen({
        hostname: address.hostname,
        port: address.port,
        // A second instance on the same address must fail, not silently share the port.
        reusePort: false,
        // LLM streams pause longer than any idle timeout.
        idleTimeout: 0,
        maxRequestBodySize: 64 * 1024 * 1024,
      });
    } catch (error) {
      throw new CommandError(
        `cannot listen on ${config.httpAddress}: ${error instanceof Error ? error.message : error} (is another process using it?)`,
        1,
      );
    }
    const server = app.server!;
    let metricsServer: ReturnType<typeof startMetricsServer> | null = null;
    if (config.prometheusAddress) {
      const metricsAddress = parseAddress(config.prometheusAddress)!;
      try {
        metricsServer = startMetricsServer(metrics.registry, metricsAddress.hostname, metricsAddress.port);
      } catch (error) {
        await server.stop(true);
        throw new CommandError(
          `cannot listen on --prometheus-address ${config.prometheusAddress}: ${error}`,
          1,
        );
      }
    }

    const retainOnce = async () => {
      if (config.retention <= 0) return;
      try {
        const deleted = await deleteExpiredInterceptions(database.db, new Date(now() - config.retention));
        if (deleted) logger.info("retention deleted old interceptions", { deleted });
      } catch (error) {
        logger.warn("retention failed", { error });
      }
    };
    // One run at a time; shutdown waits for the one under way before closing the database.
    let retentionRun: Promise<void> | null = null;
    const runRetention = () => {
      retentionRun ??= retainOnce().finally(() => {
        retentionRun = null;
      });
    };
    runRetention();
    const retentionTimer = setInterval(runRetention, RETENTION_EVERY_MS);
    retentionTimer.unref();

    const url = `http://${server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.port}`;
    logger.info("aibridge listening", {
      url,
      engine: database.engine,
      metrics: metricsServer ? `http://${config.prometheusAddress}/metrics` : "off",
    });

    let stopping: Promise<{ spilled: number }> | null = null;
    const shutdown = () => {
      stopping ??= (async () => {
        shuttingDown = true;
        clearInterval(retentionTimer);
        prices.stop();
        budgets.stop();
        sharedLedger?.stop();
        logger.info("shutting down: finishing in-flight requests", { in_flight: concurrency.inFlight });
        const closed = server.stop(false);
        const signalled = performance.now();
        const deadline = signalled + config.shutdownGracePeriod;
        while (concurrency.inFlight > 0 && performance.now() < deadline) await Bun.sleep(25);
        if (concurrency.inFlight > 0) {
          logger.warn("grace period over: cutting remaining requests", { in_flight: concurrency.inFlight });
        }
        await Promise.race([server.stop(true), closed]);
        // Cut streams end asynchronously; give their recordings a moment to be queued.
        const cutDeadline = performance.now() + 2000;
        while (concurrency.inFlight > 0 && performance.now() < cutDeadline) await Bun.sleep(10);
        const spilled = await recorder.drain(Math.max(deadline, performance.now() + MIN_DRAIN_MS));
        await liveness?.stop();
        // Everything this process started is ended: it leaves. With ends still in the spill file,
        // its row stays, goes stale, and the sweep ends those interceptions until a replay does.
        if (spilled === 0) await removeInstance(database, instance.id).catch(() => {});
        await identities.settled();
        await identityListener?.close();
        sharedRedis?.close();
        await retentionRun;
        metricsServer?.stop(true);
        await database.close();
        logger.info("shutdown complete", { spilled_records: spilled });
        return { spilled };
      })();
      return stopping;
    };

    return {
      url,
      app,
      database,
      metrics,
      recorder,
      prices,
      budgets,
      concurrency,
      identities,
      bootstrapKey,
      shutdown,
    };
  } catch (error) {
    await liveness?.stop();
    await identityListener?.close().catch(() => {});
    sharedRedis?.close();
    await database.close().catch(() => {});
    throw error;
  }
}
