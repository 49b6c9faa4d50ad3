/**
 * Turns the measurements into the comparison tables (Markdown, printed and written into
 * bench/README.md) and checks the targets of the benchmark issue.
 */
import type { WrkResult } from "./load/wrk.ts";
import type { Measurements } from "./measure.ts";
import type { RecordCounts, ScenarioTargets } from "./scenarios/types.ts";

export interface ScenarioResult {
  id: string;
  label: string;
  targets?: ScenarioTargets;
  measurements?: Measurements;
  records?: RecordCounts;
  error?: string;
}

export interface TargetCheck {
  scenario: string;
  target: string;
  actual: string;
  met: boolean;
}

export const TARGETS = {
  addedP99Ms: 2,
  ttfbOverheadMs: 1,
  rssMb: 250,
} as const;

const ms = (us: number): string => (us / 1000).toFixed(2);
const signedMs = (us: number): string => `${us >= 0 ? "+" : ""}${ms(us)}`;
const mb = (kb: number): string => (kb / 1024).toFixed(0);
const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const us = (n: number): string => n.toFixed(0);

/** Requests/s, flagged when some answers were errors (they would flatter the number). */
function rpsCell(result: WrkResult): string {
  const bad = result.non2xx + result.socketErrors;
  return bad > 0 ? `${int(result.rps)} (${int(bad)} errors)` : int(result.rps);
}

function byId(results: ScenarioResult[], id: string): Measurements | undefined {
  return results.find((r) => r.id === id)?.measurements;
}

/** Every record written, none lost: interceptions, ended rows and usage rows all equal the 200s. */
export function recordsComplete(m: Measurements, records: RecordCounts): boolean {
  return (
    m.countedFailures === 0 &&
    records.interceptions === m.counted200 &&
    records.ended === m.counted200 &&
    records.tokenUsages === m.counted200
  );
}

export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const direct = byId(results, "direct");
  const bare = byId(results, "bare");
  const checks: TargetCheck[] = [];
  for (const result of results) {
    if (!result.targets) continue;
    const m = result.measurements;
    const add = (target: string, actual: string, met: boolean): void => {
      checks.push({ scenario: result.label, target, actual, met });
    };
    if (!m) {
      add("all targets", result.error ?? "not measured", false);
      continue;
    }
    const share = result.targets.minShareOfBareProxy;
    if (bare) {
      const saturation = m.openai.saturation;
      const ratio = saturation.rps / bare.openai.saturation.rps;
      const clean = saturation.non2xx === 0 && saturation.socketErrors === 0;
      add(
        `req/s ≥ ${share * 100} % of the bare proxy`,
        `${(ratio * 100).toFixed(0)} %${clean ? "" : `, ${saturation.non2xx} non-2xx, ${saturation.socketErrors} socket errors`}`,
        clean && ratio >= share,
      );
    }
    const cpu = m.openai.cpu;
    const bareCpu = bare?.openai.cpu;
    const { maxCpuOfBareProxy, maxDatabaseCpuUs, maxCpuOverScenario } = result.targets;
    if (cpu && bareCpu && maxCpuOfBareProxy !== undefined) {
      add(
        `gateway CPU per request ≤ ${maxCpuOfBareProxy} × the bare proxy's`,
        `${us(cpu.targetUs)} vs ${us(bareCpu.targetUs)} µs (× ${(cpu.targetUs / bareCpu.targetUs).toFixed(2)})`,
        cpu.targetUs <= maxCpuOfBareProxy * bareCpu.targetUs,
      );
    }
    if (cpu?.databaseUs !== undefined && maxDatabaseCpuUs !== undefined) {
      add(
        `PostgreSQL CPU per request ≤ ${maxDatabaseCpuUs} µs`,
        `${us(cpu.databaseUs)} µs`,
        cpu.databaseUs <= maxDatabaseCpuUs,
      );
    }
    const reference = maxCpuOverScenario && results.find((r) => r.id === maxCpuOverScenario.id);
    const referenceCpu = reference?.measurements?.openai.cpu;
    if (cpu && maxCpuOverScenario && reference && referenceCpu) {
      const extra = cpu.targetUs / referenceCpu.targetUs - 1;
      add(
        `gateway CPU per request ≤ +${maxCpuOverScenario.share * 100} % over the ${reference.label}`,
        `${us(cpu.targetUs)} vs ${us(referenceCpu.targetUs)} µs (${extra >= 0 ? "+" : ""}${(extra * 100).toFixed(1)} %)`,
        extra <= maxCpuOverScenario.share,
      );
    }
    if (direct && m.openai.fixedRate && direct.openai.fixedRate) {
      const added = m.openai.fixedRate.p99Us - direct.openai.fixedRate.p99Us;
      add(
        `p99 added ≤ ${TARGETS.addedP99Ms} ms at 500 req/s`,
        `${signedMs(added)} ms`,
        added <= TARGETS.addedP99Ms * 1000,
      );
    }
    if (direct) {
      const overhead = m.openai.ttfb.medianUs - direct.openai.ttfb.medianUs;
      add(
        `TTFB overhead ≤ ${TARGETS.ttfbOverheadMs} ms (median)`,
        `${signedMs(overhead)} ms`,
        overhead <= TARGETS.ttfbOverheadMs * 1000,
      );
    }
    const streams = m.openai.streams;
    if (streams) {
      const allOpen = streams.openUpstreamPeak >= streams.count && streams.openAtClient >= streams.count;
      add(
        `RSS ≤ ${TARGETS.rssMb} MB, ${streams.count} streams open upstream at once`,
        `${mb(streams.peakRssKb)} MB, ${streams.openUpstreamPeak} open`,
        allOpen && streams.peakRssKb <= TARGETS.rssMb * 1024,
      );
    }
    if (result.records) {
      const r = result.records;
      add(
        "0 lost records",
        `${r.interceptions} interceptions (${r.ended} ended), ${r.tokenUsages} usage rows, ${m.counted200} × 200, ${m.countedFailures} failed`,
        recordsComplete(m, r),
      );
    } else {
      add("0 lost records", "records not read", false);
    }
  }
  return checks;
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

export function openaiTable(results: ScenarioResult[]): string {
  const direct = byId(results, "direct");
  const bare = byId(results, "bare");
  const lines = [
    row([
      "scenario",
      "req/s",
      "vs bare",
      "p50 @500/s",
      "p99 @500/s",
      "added p99",
      "TTFB median",
      "TTFB overhead",
      "RSS, 1 000 streams",
      "open upstream",
      "records / 200s",
    ]),
    row(Array(11).fill("---")),
  ];
  for (const result of results) {
    const m = result.measurements;
    if (!m) {
      lines.push(
        row([
          result.label,
          `failed: ${(result.error ?? "").split("\n")[0]?.slice(0, 80) ?? ""}`,
          ...Array(9).fill(""),
        ]),
      );
      continue;
    }
    const fixed = m.openai.fixedRate;
    const streams = m.openai.streams;
    const added =
      fixed && direct?.openai.fixedRate ? `${signedMs(fixed.p99Us - direct.openai.fixedRate.p99Us)} ms` : "";
    const records = result.records
      ? `${result.records.interceptions} / ${result.records.tokenUsages} / ${m.counted200}`
      : "—";
    lines.push(
      row([
        result.label,
        rpsCell(m.openai.saturation),
        bare ? `${((m.openai.saturation.rps / bare.openai.saturation.rps) * 100).toFixed(0)} %` : "",
        fixed ? `${ms(fixed.p50Us)} ms` : "",
        fixed ? `${ms(fixed.p99Us)} ms` : "",
        result.id === "direct" ? "—" : added,
        `${ms(m.openai.ttfb.medianUs)} ms`,
        result.id === "direct" || !direct
          ? "—"
          : `${signedMs(m.openai.ttfb.medianUs - direct.openai.ttfb.medianUs)} ms`,
        streams ? `${mb(streams.peakRssKb)} MB${result.id === "direct" ? " (mock)" : ""}` : "",
        streams ? `${streams.openUpstreamPeak} / ${streams.count}` : "",
        records,
      ]),
    );
  }
  return lines.join("\n");
}

export function anthropicTable(results: ScenarioResult[]): string | null {
  const withAnthropic = results.filter((r) => r.measurements?.anthropic);
  if (withAnthropic.length === 0) return null;
  const direct = byId(results, "direct")?.anthropic;
  const lines = [row(["scenario", "req/s", "TTFB median", "TTFB overhead"]), row(Array(4).fill("---"))];
  for (const result of withAnthropic) {
    const a = result.measurements?.anthropic;
    if (!a) continue;
    lines.push(
      row([
        result.label,
        rpsCell(a.saturation),
        `${ms(a.ttfb.medianUs)} ms`,
        result.id === "direct" || !direct ? "—" : `${signedMs(a.ttfb.medianUs - direct.ttfb.medianUs)} ms`,
      ]),
    );
  }
  return lines.join("\n");
}

/** Where the CPU of one request goes, per process, at saturation (OpenAI and Anthropic). */
export function cpuTable(results: ScenarioResult[]): string | null {
  const measured = results.filter((r) => r.measurements?.openai.cpu);
  if (measured.length === 0) return null;
  const lines = [
    row([
      "scenario",
      "req/s",
      "proxy process µs/req",
      "PostgreSQL µs/req",
      "mock µs/req",
      "sum µs/req",
      "Anthropic: proxy / PostgreSQL / mock µs/req",
    ]),
    row(Array(7).fill("---")),
  ];
  for (const result of measured) {
    const m = result.measurements!;
    const cpu = m.openai.cpu!;
    const direct = result.id === "direct";
    const a = m.anthropic?.cpu;
    lines.push(
      row([
        result.label,
        rpsCell(m.openai.saturation),
        direct ? "—" : us(cpu.targetUs),
        cpu.databaseUs === undefined ? "—" : us(cpu.databaseUs),
        us(cpu.mockUs),
        us((direct ? 0 : cpu.targetUs) + (cpu.databaseUs ?? 0) + cpu.mockUs),
        a
          ? `${direct ? "—" : us(a.targetUs)} / ${a.databaseUs === undefined ? "—" : us(a.databaseUs)} / ${us(a.mockUs)}`
          : "",
      ]),
    );
  }
  return lines.join("\n");
}

export function targetsTable(checks: TargetCheck[]): string {
  const lines = [row(["scenario", "target", "measured", ""]), row(Array(4).fill("---"))];
  for (const check of checks)
    lines.push(row([check.scenario, check.target, check.actual, check.met ? "met" : "**not met**"]));
  return lines.join("\n");
}
