import type { Me } from "../auth";
import { type Column, FilteredList } from "../components/filtered-list";
import { Time } from "../components/time";
import { formatCost, formatTokens, snippet } from "../format";
import { href } from "../router";
import type { Session } from "../types";

/** Sessions, newest first (SPEC §14, §18): the console's home page. */
export function SessionsPage({ me }: { me: Me }) {
  const showUser = me.role !== "member";
  const columns: (Column | null)[] = [
    { label: "Last prompt" },
    showUser ? { label: "User", class: "w-user" } : null,
    { label: "Providers", class: "w-provider" },
    { label: "Client", class: "w-client" },
    { label: "Models", class: "w-model" },
    { label: "In", class: "num w-num" },
    { label: "Out", class: "num w-num" },
    { label: "Cost", class: "num w-cost" },
    { label: "Threads", class: "num w-threads" },
    { label: "Last active", class: "w-time" },
  ];
  return (
    <FilteredList<Session>
      me={me}
      path="/api/v2/aibridge/sessions"
      field="sessions"
      noun="sessions"
      feature="The sessions list"
      tableClass="sessions"
      columns={columns.filter((c) => c !== null)}
      row={(s) => (
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
      )}
    />
  );
}
