import { describe, expect, test } from "bun:test";

import type { Measurements } from "../../bench/measure.ts";
import {
  anthropicTable,
  checkTargets,
  openaiTable,
  type ScenarioResult,
  targetsTable,
} from "../../bench/report.ts";

function measurements(o: {
  rps: number;
  p99Us: number;
  ttfbUs: number;
  rssMb: number;
  open?: number;
  counted?: number;
}): Measurements {
  const open = o.open ?? 1000;
  return {
    openai: {
      ttfb: {
        count: 200,
        ok: 220,
        failed: 0,
        medianUs: o.ttfbUs,
        p90Us: o.ttfbUs,
        p99Us: o.ttfbUs,
        totalMedianUs: o.ttfbUs,
      },
      saturation: {
        requests: o.rps * 10,
        durationS: 10,
        rps: o.rps,
        non2xx: 0,
        socketErrors: 0,
        p50Us: 1000,
        p99Us: 3000,
      },
      fixedRate: {
        rate: 500,
        durationS: 10,
        sent: 6000,
        ok: 6000,
        okMeasured: 5000,
        non200: 0,
        errors: 0,
        p50Us: 300,
        p90Us: 400,
        p99Us: o.p99Us,
        p999Us: o.p99Us,
        maxUs: o.p99Us,
        meanUs: 300,
        maxLagUs: 100,
      },
      streams: {
        count: 1000,
        openAtClient: open,
        openUpstreamPeak: open,
        openMs: 100,
        ok: 1000,
        failed: 0,
        statuses: { "200": 1000 },
        peakRssKb: o.rssMb * 1024,
        rssBeforeKb: 50 * 1024,
        hwmKb: o.rssMb * 1024,
      },
    },
    counted200: o.counted ?? 7220,
    countedFailures: 0,
  };
}

const direct: ScenarioResult = {
  id: "direct",
  label: "direct",
  measurements: measurements({ rps: 60000, p99Us: 500, ttfbUs: 150, rssMb: 60 }),
};
const bare: ScenarioResult = {
  id: "bare",
  label: "bare",
  measurements: measurements({ rps: 25000, p99Us: 1000, ttfbUs: 400, rssMb: 50 }),
};

describe("checkTargets", () => {
  test("a gateway within every target meets them all", () => {
    const good: ScenarioResult = {
      id: "aibridge-postgres",
      label: "aibridge (PostgreSQL)",
      targets: { minShareOfBareProxy: 0.6 },
      measurements: measurements({ rps: 16000, p99Us: 2400, ttfbUs: 1100, rssMb: 200 }),
      records: { interceptions: 7220, ended: 7220, tokenUsages: 7220 },
    };
    const checks = checkTargets([direct, bare, good]);
    expect(checks).toHaveLength(5);
    expect(checks.every((c) => c.met)).toBe(true);
    expect(checks[0]?.actual).toBe("64 %");
    expect(checks[1]?.actual).toBe("+1.90 ms");
    expect(checks[2]?.actual).toBe("+0.95 ms");
  });

  test("each miss is reported as not met", () => {
    const bad: ScenarioResult = {
      id: "aibridge-pglite",
      label: "aibridge (PGlite)",
      targets: { minShareOfBareProxy: 0.3 },
      measurements: measurements({ rps: 5000, p99Us: 3000, ttfbUs: 2000, rssMb: 300 }),
      records: { interceptions: 7220, ended: 7219, tokenUsages: 7220 },
    };
    const checks = checkTargets([direct, bare, bad]);
    expect(checks.map((c) => c.met)).toEqual([false, false, false, false, false]);
  });

  test("streams that never all opened upstream miss the memory target even with little memory", () => {
    const queued: ScenarioResult = {
      id: "aibridge-pglite",
      label: "aibridge (PGlite)",
      targets: { minShareOfBareProxy: 0.3 },
      measurements: measurements({ rps: 10000, p99Us: 600, ttfbUs: 200, rssMb: 100, open: 256 }),
      records: { interceptions: 7220, ended: 7220, tokenUsages: 7220 },
    };
    const memory = checkTargets([direct, bare, queued]).find((c) => c.target.startsWith("RSS"));
    expect(memory?.met).toBe(false);
    expect(memory?.actual).toBe("100 MB, 256 open");
  });

  test("saturation errors void the throughput target", () => {
    const m = measurements({ rps: 20000, p99Us: 600, ttfbUs: 200, rssMb: 100 });
    m.openai.saturation.non2xx = 10;
    const checks = checkTargets([
      direct,
      bare,
      { id: "aibridge-postgres", label: "a", targets: { minShareOfBareProxy: 0.6 }, measurements: m },
    ]);
    expect(checks[0]?.met).toBe(false);
    expect(checks.at(-1)).toMatchObject({ target: "0 lost records", met: false });
  });

  test("a scenario that failed misses everything", () => {
    const checks = checkTargets([
      direct,
      bare,
      { id: "aibridge-postgres", label: "a", targets: { minShareOfBareProxy: 0.6 }, error: "boom" },
    ]);
    expect(checks).toEqual([{ scenario: "a", target: "all targets", actual: "boom", met: false }]);
  });

  test("scenarios without targets are not checked", () => {
    expect(checkTargets([direct, bare])).toEqual([]);
  });
});

describe("tables", () => {
  test("the OpenAI table has a row per scenario, overheads relative to direct", () => {
    const table = openaiTable([direct, bare, { id: "x", label: "broken", error: "could not start\nstack" }]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[2]).toContain("| direct | 60,000 | 240 % |");
    expect(lines[3]).toContain("+0.50 ms");
    expect(lines[3]).toContain("+0.25 ms");
    expect(lines[4]).toContain("failed: could not start |");
  });

  test("no Anthropic table without Anthropic measurements", () => {
    expect(anthropicTable([direct, bare])).toBeNull();
  });

  test("the targets table marks misses", () => {
    const table = targetsTable([
      { scenario: "a", target: "t1", actual: "1", met: true },
      { scenario: "a", target: "t2", actual: "2", met: false },
    ]);
    expect(table).toContain("| a | t1 | 1 | met |");
    expect(table).toContain("| a | t2 | 2 | **not met** |");
  });
});
