import { useCallback, useEffect, useMemo, useState } from "preact/hooks";

import { errorText, getJson, request, withQuery } from "../api";
import { type Me, readsAll } from "../auth";
import { BudgetPanel } from "../components/budget";
import { BarChart } from "../components/chart";
import { FieldError } from "../components/fields";
import { FilterBar } from "../components/filter-bar";
import { Empty, ErrorState, Loading } from "../components/states";
import { type Range, searchQuery } from "../filters";
import { formatCost, formatTokens } from "../format";
import { daysBetween, type SpendMetric, stackByModel } from "../spend-series";
import type { Spend, SpendRow } from "../types";
import { useFilters } from "../use-filters";

const SPEND_RANGES: Range[] = ["month", "7d", "30d", "90d"];
const TOP = 5;
const SPEND = "/api/v2/aibridge/spend";

type Group = "user" | "model" | "client";
const GROUP_TITLES: Record<Group, string> = { user: "Top users", model: "Top models", client: "Top clients" };

interface SpendView {
  days: string[];
  daily: Spend;
  perModel: { model: string; rows: SpendRow[] }[];
  groups: Record<Group, SpendRow[]>;
}

async function loadSpend(q: string, now: number, signal: AbortSignal): Promise<SpendView> {
  const get = (groupBy: string, query = q) =>
    getJson<Spend>(withQuery(SPEND, { group_by: groupBy, q: query }), signal);
  const [daily, models, users, clients] = await Promise.all([
    get("day"),
    get("model"),
    get("user"),
    get("client"),
  ]);
  const top = models.rows.slice(0, TOP).map((r) => r.key);
  const perModel = await Promise.all(
    top.map(async (model) => ({
      model,
      rows: (await get("day", `${q} model:"${model.replaceAll('"', "")}"`.trim())).rows,
    })),
  );
  return {
    // Without an end in `q` the range runs to the end of the month: the chart stops at today.
    days: daysBetween(daily.from, new Date(Math.min(Date.parse(daily.to), now + 1)).toISOString()),
    daily,
    perModel,
    groups: { user: users.rows, model: models.rows, client: clients.rows },
  };
}

/** Fetches the CSV with the key (a plain link cannot send it) and saves it. */
async function exportCsv(groupBy: string, q: string): Promise<void> {
  const response = await request(withQuery(`${SPEND}/export`, { group_by: groupBy, q }));
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `aibridge-spend-by-${groupBy}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ExportButton({ groupBy, q, label }: { groupBy: string; q: string; label: string }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        onClick={() =>
          exportCsv(groupBy, q).then(
            () => setError(null),
            (e) => setError(errorText(e)),
          )
        }
      >
        {label}
      </button>
      <FieldError error={error} />
    </>
  );
}

function formatterFor(metric: SpendMetric) {
  return metric === "cost" ? (v: number) => formatCost(v) : (v: number) => formatTokens(v);
}

function GroupCard({ group, rows, q }: { group: Group; rows: SpendRow[]; q: string }) {
  const top = useMemo(() => rows.slice(0, 8), [rows]);
  const labels = useMemo(() => top.map((r) => r.key || "(none)"), [top]);
  const series = useMemo(() => [{ label: "Cost", values: top.map((r) => r.cost_micros ?? 0) }], [top]);
  const format = useCallback((v: number) => formatCost(v), []);
  return (
    <section class="card" aria-label={GROUP_TITLES[group]}>
      <header>
        <h2>{GROUP_TITLES[group]}</h2>
        <ExportButton groupBy={group} q={q} label="CSV" />
      </header>
      {top.length === 0 ? (
        <Empty>Nothing in this range.</Empty>
      ) : (
        <>
          <BarChart
            labels={labels}
            series={series}
            horizontal
            format={format}
            height={40 + top.length * 22}
            description={`${GROUP_TITLES[group]} by cost`}
          />
          <table class="list compact">
            <thead>
              <tr>
                <th scope="col">{group}</th>
                <th scope="col" class="num">
                  Requests
                </th>
                <th scope="col" class="num">
                  Tokens
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {top.map((r) => (
                <tr key={r.key}>
                  <td class="truncate" title={r.key}>
                    {r.key || "(none)"}
                  </td>
                  <td class="num">{formatTokens(r.interceptions)}</td>
                  <td class="num">{formatTokens(r.input_tokens + r.output_tokens)}</td>
                  <td
                    class="num"
                    title={
                      r.unpriced_interceptions
                        ? `${r.unpriced_interceptions} requests could not be priced`
                        : undefined
                    }
                  >
                    {formatCost(r.cost_micros)}
                    {r.unpriced_interceptions ? "*" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Totals({ rows }: { rows: SpendRow[] }) {
  const sum = (f: (r: SpendRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const unpriced = sum((r) => r.unpriced_interceptions);
  return (
    <dl class="totals">
      <div>
        <dt>Cost</dt>
        <dd data-testid="total-cost">{formatCost(sum((r) => r.cost_micros ?? 0))}</dd>
      </div>
      <div>
        <dt>Requests</dt>
        <dd>{formatTokens(sum((r) => r.interceptions))}</dd>
      </div>
      <div>
        <dt>Input tokens</dt>
        <dd>{formatTokens(sum((r) => r.input_tokens))}</dd>
      </div>
      <div>
        <dt>Output tokens</dt>
        <dd>{formatTokens(sum((r) => r.output_tokens))}</dd>
      </div>
      <div>
        <dt>Unpriced requests</dt>
        <dd>{formatTokens(unpriced)}</dd>
      </div>
    </dl>
  );
}

/** Spend per day stacked by model, top users/models/clients, CSV export (SPEC §15, §18). */
export function SpendPage({ me }: { me: Me }) {
  const [filters, setFilters, now] = useFilters({ range: "month" });
  const q = searchQuery(filters, now);
  const [metric, setMetric] = useState<SpendMetric>("cost");
  const [state, setState] = useState<{ view?: SpendView; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ view: s.view, loading: true }));
    loadSpend(q, now, controller.signal).then(
      (view) => !controller.signal.aborted && setState({ view, loading: false }),
      (error) => !controller.signal.aborted && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [q, now, attempt]);

  const view = state.view;
  const series = useMemo(
    () => (view ? stackByModel(view.days, view.daily.rows, view.perModel, metric) : []),
    [view, metric],
  );
  const format = useMemo(() => formatterFor(metric), [metric]);
  const labels = view?.days ?? [];

  return (
    <>
      {readsAll(me) ? null : (
        <section class="card" aria-label="Your budget">
          <h2>Your monthly budget</h2>
          <BudgetPanel user="me" editable={false} />
        </section>
      )}
      <FilterBar me={me} filters={filters} onChange={setFilters} ranges={SPEND_RANGES} />
      {state.error ? (
        <ErrorState error={state.error} retry={() => setAttempt((n) => n + 1)} feature="Spend" />
      ) : !view ? (
        <Loading what="Loading spend" />
      ) : view.daily.rows.length === 0 ? (
        <Empty>No spend in this range.</Empty>
      ) : (
        <div aria-busy={state.loading}>
          <Totals rows={view.daily.rows} />
          <section class="card" aria-label="Per day">
            <header>
              <h2>{metric === "cost" ? "Cost" : "Tokens"} per day, by model</h2>
              <fieldset class="segmented">
                <legend class="visually-hidden">Show</legend>
                <button type="button" aria-pressed={metric === "cost"} onClick={() => setMetric("cost")}>
                  Cost
                </button>
                <button type="button" aria-pressed={metric === "tokens"} onClick={() => setMetric("tokens")}>
                  Tokens
                </button>
              </fieldset>
              <ExportButton groupBy="day" q={q} label="Export CSV" />
            </header>
            <BarChart
              labels={labels}
              series={series}
              stacked
              format={format}
              description={`${metric === "cost" ? "Cost" : "Tokens"} per day stacked by model; the tables below list the same totals`}
            />
          </section>
          <div class="cards">
            {(readsAll(me) ? (["user", "model", "client"] as Group[]) : (["model", "client"] as Group[])).map(
              (g) => (
                <GroupCard key={g} group={g} rows={view.groups[g]} q={q} />
              ),
            )}
          </div>
        </div>
      )}
    </>
  );
}
