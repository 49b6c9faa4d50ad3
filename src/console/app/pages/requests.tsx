import { useState } from "preact/hooks";

import type { Me } from "../auth";
import { type Column, FilteredList } from "../components/filtered-list";
import { Time } from "../components/time";
import { durationBetween, formatCost, formatDuration, formatTokens, snippet } from "../format";
import { href } from "../router";
import { type Interception, sumTokens } from "../types";

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
  const showUser = me.role !== "member";
  const columns: (Column | null)[] = [
    { label: "Started", class: "w-time" },
    showUser ? { label: "User", class: "w-user" } : null,
    { label: "Provider", class: "w-provider" },
    { label: "Model", class: "w-model" },
    { label: "Client", class: "w-client" },
    { label: "In", class: "num w-num" },
    { label: "Out", class: "num w-num" },
    { label: "Cost", class: "num w-cost" },
    { label: "Duration", class: "num w-dur" },
    { label: "Status", class: "w-status" },
    { label: "Prompt" },
  ];
  return (
    <FilteredList<Interception>
      me={me}
      path="/api/v2/aibridge/interceptions"
      field="results"
      noun="requests"
      feature="The requests list"
      tableClass="requests"
      columns={columns.filter((c) => c !== null)}
      row={(i) => <Row key={i.id} i={i} showUser={showUser} />}
    />
  );
}
