import { withQuery } from "../api";
import type { Me } from "../auth";
import { FilterBar } from "../components/filter-bar";
import { Pager } from "../components/pager";
import { Empty, ErrorState, Loading } from "../components/states";
import { Time } from "../components/time";
import { pageWindow, searchQuery } from "../filters";
import { formatCost, formatTokens, snippet } from "../format";
import { href } from "../router";
import type { Session } from "../types";
import { useApi } from "../use-api";
import { useFilters } from "../use-filters";

/** Sessions, newest first (SPEC §14, §18): the console's home page. */
export function SessionsPage({ me }: { me: Me }) {
  const [filters, setFilters, now] = useFilters();
  const { limit, offset } = pageWindow(filters);
  const path = withQuery("/api/v2/aibridge/sessions", { q: searchQuery(filters, now), limit, offset });
  const [result, reload] = useApi<{ count: number; sessions: Session[] }>(path);
  const showUser = me.role !== "member";

  return (
    <>
      <FilterBar me={me} filters={filters} onChange={setFilters} />
      {result.state === "error" ? (
        <ErrorState error={result.error} retry={reload} feature="The sessions list" />
      ) : result.state === "loading" && !result.data ? (
        <Loading what="Loading sessions" />
      ) : result.data!.sessions.length === 0 ? (
        <Empty>No sessions match these filters. Widen the time range or clear a filter.</Empty>
      ) : (
        <section aria-busy={result.state === "loading"}>
          <Pager
            filters={filters}
            count={result.data!.count}
            shown={result.data!.sessions.length}
            noun="sessions"
            onChange={setFilters}
          />
          <table class="list sessions">
            <thead>
              <tr>
                <th scope="col">Last prompt</th>
                {showUser ? (
                  <th scope="col" class="w-user">
                    User
                  </th>
                ) : null}
                <th scope="col" class="w-provider">
                  Providers
                </th>
                <th scope="col" class="w-client">
                  Client
                </th>
                <th scope="col" class="w-model">
                  Models
                </th>
                <th scope="col" class="num w-num">
                  In
                </th>
                <th scope="col" class="num w-num">
                  Out
                </th>
                <th scope="col" class="num w-cost">
                  Cost
                </th>
                <th scope="col" class="num w-threads">
                  Threads
                </th>
                <th scope="col" class="w-time">
                  Last active
                </th>
              </tr>
            </thead>
            <tbody>
              {result.data!.sessions.map((s) => (
                <tr key={`${s.id}/${s.initiator.id}`}>
                  <td class="truncate prompt-cell" title={snippet(s.last_prompt, 400)}>
                    <a href={href(`/sessions/${encodeURIComponent(s.id)}`)}>
                      {snippet(s.last_prompt) || <span class="muted">(no prompt recorded)</span>}
                    </a>
                  </td>
                  {showUser ? <td class="truncate">{s.initiator.username}</td> : null}
                  <td class="truncate">{s.providers.join(", ")}</td>
                  <td class="truncate">{s.client}</td>
                  <td class="truncate" title={s.models.join(", ")}>
                    {s.models.join(", ")}
                  </td>
                  <td class="num">{formatTokens(s.token_usage_summary.input_tokens)}</td>
                  <td class="num">{formatTokens(s.token_usage_summary.output_tokens)}</td>
                  <td class="num">{formatCost(s.cost_micros)}</td>
                  <td class="num">{formatTokens(s.threads)}</td>
                  <td>
                    <Time iso={s.last_active_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
