import { useCallback, useEffect, useState } from "preact/hooks";

import { getJson, withQuery } from "../api";
import { type Me, readsAll } from "../auth";
import { DEFAULT_FILTERS, type Filters, RANGE_LABELS, RANGES, type Range } from "../filters";
import { SelectField } from "./fields";
import { Typeahead } from "./typeahead";

export const PROVIDERS = ["anthropic", "openai"];

/** Prefix suggestions from a list endpoint that takes `q=<key>:<prefix>` (models, clients). */
function prefixSuggester(path: string, key: string) {
  return (prefix: string, signal: AbortSignal) =>
    getJson<string[]>(
      withQuery(path, { q: prefix ? `${key}:"${prefix.replaceAll('"', "")}"` : "", limit: 10 }),
      signal,
    );
}

const suggestModels = prefixSuggester("/api/v2/aibridge/models", "model");
const suggestClients = prefixSuggester("/api/v2/aibridge/clients", "client");

/** User (with a `me` preset), provider, client, model type-ahead and time range. */
export function FilterBar({
  me,
  filters,
  onChange,
  ranges = RANGES,
}: {
  me: Me;
  filters: Filters;
  onChange: (next: Partial<Filters>) => void;
  ranges?: readonly Range[];
}) {
  const everyone = readsAll(me);
  const [user, setUser] = useState(filters.user);
  useEffect(() => setUser(filters.user), [filters.user]);
  const apply = useCallback((next: Partial<Filters>) => onChange({ ...next, page: 1 }), [onChange]);
  const commitUser = () => {
    if (user.trim() !== filters.user) apply({ user: user.trim() });
  };
  const hasFilters =
    filters.user ||
    filters.provider ||
    filters.client ||
    filters.model ||
    filters.range !== DEFAULT_FILTERS.range;

  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        commitUser();
      }}
    >
      {everyone ? (
        <div class="field">
          <label for="filter-user">User</label>
          <div class="with-button">
            <input
              id="filter-user"
              name="user"
              type="text"
              placeholder="anyone"
              value={user}
              onInput={(e) => setUser(e.currentTarget.value)}
              onBlur={commitUser}
            />
            <button
              type="button"
              aria-pressed={filters.user === "me"}
              onClick={() => apply({ user: filters.user === "me" ? "" : "me" })}
            >
              Me
            </button>
          </div>
        </div>
      ) : (
        <div class="field">
          <span class="label">User</span>
          <span class="fixed-value" title="Members see only their own records">
            {me.username} (you)
          </span>
        </div>
      )}
      <SelectField
        id="filter-provider"
        label="Provider"
        name="provider"
        value={filters.provider}
        options={[["", "Any"], ...PROVIDERS]}
        onChange={(provider) => apply({ provider })}
      />
      <Typeahead
        label="Client"
        name="client"
        placeholder="any"
        value={filters.client}
        suggest={suggestClients}
        onCommit={(client) => client !== filters.client && apply({ client })}
      />
      <Typeahead
        label="Model"
        name="model"
        placeholder="any (type a prefix)"
        value={filters.model}
        suggest={suggestModels}
        onCommit={(model) => model !== filters.model && apply({ model })}
      />
      <SelectField
        id="filter-range"
        label="Time"
        name="range"
        value={filters.range}
        options={ranges.map((r) => [r, RANGE_LABELS[r]] as const)}
        onChange={(range) => apply({ range: range as Range })}
      />
      <div class="field field-actions">
        <button
          type="button"
          disabled={!hasFilters}
          onClick={() =>
            apply({ user: "", provider: "", client: "", model: "", range: DEFAULT_FILTERS.range })
          }
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}
