import type { ComponentChildren } from "preact";

import { withQuery } from "../api";
import type { Me } from "../auth";
import { pageWindow, searchQuery } from "../filters";
import { useApi } from "../use-api";
import { useFilters } from "../use-filters";
import { FilterBar } from "./filter-bar";
import { Pager } from "./pager";
import { Empty, ErrorState, Loading } from "./states";

export interface Column {
  label: string;
  class?: string;
}

/**
 * A list page of the management API (`{count, <field>: [...]}`): the filter bar, the loading, empty
 * and error states, the pager with the total, and a table of one row per item.
 */
export function FilteredList<T>({
  me,
  path,
  field,
  noun,
  feature,
  tableClass,
  columns,
  row,
}: {
  me: Me;
  path: string;
  field: string;
  noun: string;
  feature: string;
  tableClass: string;
  columns: Column[];
  row: (item: T) => ComponentChildren;
}) {
  const [filters, setFilters, now] = useFilters();
  const { limit, offset } = pageWindow(filters);
  const [result, reload] = useApi<{ count: number } & Record<string, T[]>>(
    withQuery(path, { q: searchQuery(filters, now), limit, offset }),
  );
  const items = result.state === "error" ? [] : (result.data?.[field] ?? []);

  return (
    <>
      <FilterBar me={me} filters={filters} onChange={setFilters} />
      {result.state === "error" ? (
        <ErrorState error={result.error} retry={reload} feature={feature} />
      ) : result.state === "loading" && !result.data ? (
        <Loading what={`Loading ${noun}`} />
      ) : items.length === 0 ? (
        <Empty>No {noun} match these filters. Widen the time range or clear a filter.</Empty>
      ) : (
        <section aria-busy={result.state === "loading"}>
          <Pager
            filters={filters}
            count={result.data!.count}
            shown={items.length}
            noun={noun}
            onChange={setFilters}
          />
          <table class={`list ${tableClass}`}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.label} scope="col" class={c.class}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{items.map(row)}</tbody>
          </table>
        </section>
      )}
    </>
  );
}
