import { useState } from "preact/hooks";

import { withQuery } from "../api";
import type { Me } from "../auth";
import { FilterBar } from "../components/filter-bar";
import { Pager } from "../components/pager";
import { Empty, ErrorState, Loading } from "../components/states";
import { Time } from "../components/time";
import { pageWindow, searchQuery } from "../filters";
import { durationBetween, formatCost, formatDuration, formatTokens, snippet } from "../format";
import { href } from "../router";
import { type Interception, sumTokens } from "../types";
import { useApi } from "../use-api";
import { useFilters } from "../use-filters";

function statusText(i: Interception): string {
  if (i.error_type) return i.status ? `${i.status} ${i.error_type}` : i.error_type;
  return i.status ? String(i.status) : "—";
}

function Details({ i }: { i: Interception }) {
  return (
    <div class="details">
      <dl class="facts">
        <dt>Interception</dt>
        <dd>
          <code>{i.id}</code>
        </dd>
        <dt>Credential</dt>
        <dd>
          {i.credential_kind} <code>{i.credential_hint}</code>
        </dd>
        {i.session_id || i.client_session_id ? (
          <>
            <dt>Session</dt>
            <dd>
              <a href={href(`/sessions/${encodeURIComponent(i.session_id ?? i.client_session_id!)}`)}>
                {i.session_id ?? i.client_session_id}
              </a>
            </dd>
          </>
        ) : null}
        {i.error_message ? (
          <>
            <dt>Error</dt>
            <dd class="error-text">{i.error_message}</dd>
          </>
        ) : null}
      </dl>
      {i.user_prompts.map((p) => (
        <div key={p.id} class="prompt">
          <h3>Prompt</h3>
          <pre>{p.prompt}</pre>
        </div>
      ))}
      {i.model_thoughts?.length ? (
        <details>
          <summary>Thinking ({i.model_thoughts.length})</summary>
          {i.model_thoughts.map((t) => (
            <pre key={t.id}>{t.content}</pre>
          ))}
        </details>
      ) : null}
      {i.tool_usages.length ? <h3>Tool calls</h3> : null}
      {i.tool_usages.map((t) => (
        <div key={t.id} class="tool-call">
          <strong>{t.tool}</strong>
          <pre>{t.input}</pre>
          {t.invocation_error ? <p class="error-text">{t.invocation_error}</p> : null}
        </div>
      ))}
    </div>
  );
}

function Row({ i, showUser }: { i: Interception; showUser: boolean }) {
  const [open, setOpen] = useState(false);
  const prompt = i.user_prompts.at(-1)?.prompt;
  return (
    <>
      <tr class={i.error_type ? "row-error" : undefined}>
        <td class="truncate">
          <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
            <Time iso={i.started_at} />
          </button>
        </td>
        {showUser ? <td class="truncate">{i.initiator.username}</td> : null}
        <td>{i.provider}</td>
        <td class="truncate" title={i.model}>
          {i.model}
        </td>
        <td class="truncate">{i.client}</td>
        <td class="num">{formatTokens(sumTokens(i.token_usages, "input_tokens"))}</td>
        <td class="num">{formatTokens(sumTokens(i.token_usages, "output_tokens"))}</td>
        <td class="num">{formatCost(i.cost_micros)}</td>
        <td class="num">{formatDuration(durationBetween(i.started_at, i.ended_at))}</td>
        <td>{statusText(i)}</td>
        <td class="truncate prompt-cell" title={snippet(prompt, 400)}>
          {snippet(prompt)}
        </td>
      </tr>
      {open ? (
        <tr class="row-details">
          <td colSpan={showUser ? 11 : 10}>
            <Details i={i} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The interceptions list (SPEC §18 "Requests") with the sessions page's filters and pagination. */
export function RequestsPage({ me }: { me: Me }) {
  const [filters, setFilters, now] = useFilters();
  const { limit, offset } = pageWindow(filters);
  const path = withQuery("/api/v2/aibridge/interceptions", { q: searchQuery(filters, now), limit, offset });
  const [result, reload] = useApi<{ count: number; results: Interception[] }>(path);
  const showUser = me.role !== "member";

  return (
    <>
      <FilterBar me={me} filters={filters} onChange={setFilters} />
      {result.state === "error" ? (
        <ErrorState error={result.error} retry={reload} feature="The requests list" />
      ) : result.state === "loading" && !result.data ? (
        <Loading what="Loading requests" />
      ) : result.data!.results.length === 0 ? (
        <Empty>No requests match these filters. Widen the time range or clear a filter.</Empty>
      ) : (
        <section aria-busy={result.state === "loading"}>
          <Pager
            filters={filters}
            count={result.data!.count}
            shown={result.data!.results.length}
            noun="requests"
            onChange={setFilters}
          />
          <table class="list requests">
            <thead>
              <tr>
                <th scope="col" class="w-time">
                  Started
                </th>
                {showUser ? (
                  <th scope="col" class="w-user">
                    User
                  </th>
                ) : null}
                <th scope="col" class="w-provider">
                  Provider
                </th>
                <th scope="col" class="w-model">
                  Model
                </th>
                <th scope="col" class="w-client">
                  Client
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
                <th scope="col" class="num w-dur">
                  Duration
                </th>
                <th scope="col" class="w-status">
                  Status
                </th>
                <th scope="col">Prompt</th>
              </tr>
            </thead>
            <tbody>
              {result.data!.results.map((i) => (
                <Row key={i.id} i={i} showUser={showUser} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
