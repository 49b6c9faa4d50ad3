import { describe, expect, test } from "bun:test";

import { parseArgs, UsageError } from "../../src/config/args";
import { formatDuration, parseDuration } from "../../src/config/duration";
import { optionsHelp } from "../../src/config/help";
import { optionEntries } from "../../src/config/options";
import { ConfigError, configFlagSpecs, parseAddress, resolveConfig } from "../../src/config/parse";

const resolve = (argv: string[], env: Record<string, string> = {}, isTTY = false) =>
  resolveConfig(parseArgs(argv, configFlagSpecs()).values, { env, isTTY });

describe("durations", () => {
  test.each([
    ["0", 0],
    ["500ms", 500],
    ["10s", 10_000],
    ["15m", 900_000],
    ["720h", 2_592_000_000],
    ["60d", 5_184_000_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["2µs", 0],
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  test.each(["", "soon", "10", "-5s", "10 s", "s", "1x", "1h-5m"])("%p is rejected", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
  test("format round-trips", () => {
    for (const ms of [0, 500, 10_000, 900_000, 86_400_000 * 60])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe("defaults", () => {
  test("every option has SPEC §3's default", () => {
    const config = resolve([], { HOME: "/home/u" });
    expect(config).toEqual({
      httpAddress: "127.0.0.1:3000",
      postgresUrl: "",
      dataDir: "/home/u/.local/share/aibridge",
      openaiKey: "",
      openaiBaseUrl: "https://api.openai.com/v1/",
      anthropicKey: "",
      anthropicBaseUrl: "https://api.anthropic.com/",
      maxConcurrency: 0,
      rateLimit: 0,
      circuitBreakerEnabled: false,
      circuitBreakerFailureThreshold: 5,
      circuitBreakerInterval: 10_000,
      circuitBreakerTimeout: 30_000,
      circuitBreakerMaxRequests: 3,
      allowByok: true,
      sendActorHeaders: false,
      retention: 60 * 86_400_000,
      poolSize: 5000,
      poolTtl: 15 * 60_000,
      prometheusAddress: "127.0.0.1:2112",
      logFormat: "json",
      shutdownGracePeriod: 30_000,
      redisUrl: "",
      defaultMonthlyBudget: 0,
      recordPrompts: true,
      recordToolInputs: true,
      recordThoughts: true,
      recordingQueueLimit: 100_000,
    });
  });
  test("data dir follows XDG_DATA_HOME; log format follows the TTY", () => {
    expect(resolve([], { XDG_DATA_HOME: "/xdg" }).dataDir).toBe("/xdg/aibridge");
    expect(resolve([], {}, true).logFormat).toBe("human");
  });
});

describe("flags and environment", () => {
  test("flags beat environment variables", () => {
    const env = { CODER_AIBRIDGE_RATE_LIMIT: "5", CODER_HTTP_ADDRESS: "0.0.0.0:1" };
    expect(resolve(["--aibridge-rate-limit", "7"], env).rateLimit).toBe(7);
    expect(resolve(["--aibridge-rate-limit=8"], env).rateLimit).toBe(8);
    expect(resolve([], env).rateLimit).toBe(5);
    expect(resolve([], env).httpAddress).toBe("0.0.0.0:1");
  });
  test("every option reads its own environment variable", () => {
    for (const [name, schema] of optionEntries()) {
      const sample: Record<string, string> = {
        boolean: String(!schema.default),
        duration: "7s",
        integer: "9",
        url: "http://example.test/x/",
        "postgres-url": "postgres://u@h:5432/d",
        "redis-url": "redis://h:6379",
        dollars: "12.5",
        address: "127.0.0.1:9",
        "log-format": "human",
      };
      const value = sample[schema.kind] ?? "v";
      const config = resolve([], { [schema.env]: value }) as Record<string, unknown>;
      expect(config[name]).not.toEqual(resolve([])[name as keyof ReturnType<typeof resolve>]);
    }
  });
  test("booleans: bare flag, true/false word, =value", () => {
    expect(resolve(["--aibridge-circuit-breaker-enabled"]).circuitBreakerEnabled).toBe(true);
    expect(resolve(["--aibridge-allow-byok", "false"]).allowByok).toBe(false);
    expect(resolve(["--aibridge-allow-byok=false"]).allowByok).toBe(false);
    expect(resolve(["--aibridge-allow-byok", "FALSE"]).allowByok).toBe(false);
    expect(resolve(["--aibridge-send-actor-headers", "--aibridge-allow-byok"]).sendActorHeaders).toBe(true);
  });
  test("budgets take dollars with cents; an empty Redis URL means per process", () => {
    expect(resolve(["--aibridge-default-monthly-budget=12.50"]).defaultMonthlyBudget).toBe(12.5);
    expect(resolve([]).defaultMonthlyBudget).toBe(0);
    expect(resolve(["--redis-url="]).redisUrl).toBe("");
    expect(resolve(["--redis-url", "rediss://r:6380/0"]).redisUrl).toBe("rediss://r:6380/0");
  });
  test("an empty value turns the metrics listener off", () => {
    expect(resolve(["--prometheus-address="]).prometheusAddress).toBe("");
  });
});

describe("bad values name the option", () => {
  test.each([
    [["--aibridge-rate-limit=-1"], "aibridge-rate-limit"],
    [["--aibridge-rate-limit=abc"], "aibridge-rate-limit"],
    [["--aibridge-circuit-breaker-timeout=soon"], "aibridge-circuit-breaker-timeout"],
    [["--postgres-url=not a url"], "postgres-url"],
    [["--postgres-url=http://x/y"], "postgres-url"],
    [["--aibridge-openai-base-url=ftp://x"], "aibridge-openai-base-url"],
    [["--http-address=nowhere"], "http-address"],
    [["--http-address="], "http-address"],
    [["--http-address=1.2.3.4:99999"], "http-address"],
    [["--aibridge-allow-byok=maybe"], "aibridge-allow-byok"],
    [["--log-format=xml"], "log-format"],
    [["--aibridge-circuit-breaker-failure-threshold=0"], "aibridge-circuit-breaker-failure-threshold"],
    [["--aibridge-pool-size=0"], "aibridge-pool-size"],
    [["--redis-url=http://h:6379"], "redis-url"],
    [["--aibridge-default-monthly-budget=-1"], "aibridge-default-monthly-budget"],
    [["--aibridge-default-monthly-budget=ten"], "aibridge-default-monthly-budget"],
    [["--aibridge-default-monthly-budget=1.1234567"], "aibridge-default-monthly-budget"],
    [["--aibridge-recording-queue-limit=0"], "aibridge-recording-queue-limit"],
    [["--aibridge-record-prompts=maybe"], "aibridge-record-prompts"],
  ])("%p", (argv, flag) => {
    let error: unknown;
    try {
      resolve(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).flag).toBe(flag);
    expect((error as Error).message).toContain(`--${flag}`);
  });
  test("environment values are checked too", () => {
    expect(() => resolve([], { CODER_AIBRIDGE_MAX_CONCURRENCY: "lots" })).toThrow(
      "--aibridge-max-concurrency",
    );
  });
  test("unknown flags and missing values are usage errors", () => {
    expect(() => parseArgs(["--nope"], configFlagSpecs())).toThrow(UsageError);
    expect(() => parseArgs(["--postgres-url"], configFlagSpecs())).toThrow(UsageError);
  });
});

test("addresses", () => {
  expect(parseAddress("127.0.0.1:3000")).toEqual({ hostname: "127.0.0.1", port: 3000 });
  expect(parseAddress(":8080")).toEqual({ hostname: "0.0.0.0", port: 8080 });
  expect(parseAddress("[::1]:0")).toEqual({ hostname: "::1", port: 0 });
  expect(parseAddress("localhost")).toBeNull();
});

test("help lists every flag, env var and default", () => {
  const help = optionsHelp();
  for (const [, schema] of optionEntries()) {
    expect(help).toContain(`--${schema.flag}`);
    expect(help).toContain(schema.env);
  }
  expect(help).toContain("default 10s");
  expect(help).toContain("default 60d");
});
