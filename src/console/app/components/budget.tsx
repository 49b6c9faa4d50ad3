import { useState } from "preact/hooks";

import { errorText, sendJson } from "../api";
import { dollarsToMicros, formatCost } from "../format";
import type { Budget } from "../types";
import { useApi } from "../use-api";
import { FieldError } from "./fields";
import { ErrorState, Loading } from "./states";
import { Time } from "./time";

/** A user's monthly budget and this month's spend; owners can change the limit (SPEC §15). */
export function BudgetPanel({ user, editable }: { user: string; editable: boolean }) {
  const path = `/api/v2/users/${encodeURIComponent(user)}/budget`;
  const [result, reload] = useApi<Budget>(path);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (result.state === "error") return <ErrorState error={result.error} retry={reload} feature="Budgets" />;
  if (result.state === "loading" && !result.data) return <Loading what="Loading budget" />;
  const budget = result.data!;
  const limit = budget.monthly_limit_micros;
  const share = limit ? Math.min(1, budget.spent_micros / limit) : 0;

  const save = async (event: Event) => {
    event.preventDefault();
    const micros = dollarsToMicros(draft ?? "");
    if (micros === "invalid") {
      setError("Enter dollars, e.g. 50 or 12.50 (empty = the default budget).");
      return;
    }
    try {
      await sendJson("PUT", path, { monthly_limit_micros: micros });
      setDraft(null);
      setError(null);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <div class="budget" data-testid="budget">
      <p>
        Spent <strong>{formatCost(budget.spent_micros)}</strong> of{" "}
        <strong>{limit === null ? "no limit" : formatCost(limit)}</strong> this month (
        <Time iso={budget.period_start} /> – <Time iso={budget.period_end} />)
      </p>
      {limit ? (
        <meter
          min={0}
          max={1}
          value={share}
          high={0.8}
          optimum={0}
          aria-label="Share of the monthly budget spent"
        />
      ) : null}
      {editable ? (
        draft === null ? (
          <button type="button" onClick={() => setDraft(limit === null ? "" : String(limit / 1_000_000))}>
            Change limit
          </button>
        ) : (
          <form class="inline-form" onSubmit={save}>
            <div class="field">
              <label for={`budget-${user}`}>Monthly limit ($)</label>
              <input
                id={`budget-${user}`}
                type="text"
                inputMode="decimal"
                value={draft}
                onInput={(e) => setDraft(e.currentTarget.value)}
              />
            </div>
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <FieldError error={error} />
          </form>
        )
      ) : null}
    </div>
  );
}
