import { useMemo, useState } from "preact/hooks";

import { withQuery } from "../api";
import type { Me } from "../auth";
import { Empty, ErrorState, Loading } from "../components/states";
import { Time } from "../components/time";
import { durationBetween, formatCost, formatDuration, formatTokens } from "../format";
import { href } from "../router";
import type { AgenticAction, SessionDetail, Thread, TokenCounts } from "../types";
import { useApi } from "../use-api";

const THREADS_PER_PAGE = 50;

function Tokens({ usage }: { usage: TokenCounts }) {
  return (
    <span class="tokens">
      {formatTokens(usage.input_tokens)} in · {formatTokens(usage.output_tokens)} out
      {usage.cache_read_input_tokens ? ` · ${formatTokens(usage.cache_read_input_tokens)} cache read` : ""}
      {usage.cache_write_input_tokens ? ` · ${formatTokens(usage.cache_write_input_tokens)} cache write` : ""}
    </span>
  );
}

/** Whether a thread holds the search text anywhere a person can see it. */
export function threadMatches(thread: Thread, needle: string): boolean {
  if (!needle) return true;
  const n = needle.toLowerCase();
  const has = (text: string | null | undefined) => !!text && text.toLowerCase().includes(n);
  return (
    has(thread.prompt) ||
    has(thread.model) ||
    thread.agentic_actions.some(
      (a) =>
        has(a.model) ||
        has(a.error_type) ||
        has(a.error_message) ||
        a.thinking.some((t) => has(t.text)) ||
        a.tool_calls.some((c) => has(c.tool) || has(c.input)),
    )
  );
}

function Action({ action, index }: { action: AgenticAction; index: number }) {
  const failed = action.error_type !== null || (action.status !== null && action.status >= 400);
  return (
    <li class={failed ? "action action-error" : "action"}>
      <div class="action-head">
        <span class="step">Step {index + 1}</span>
        <span>{action.model}</span>
        <span class={failed ? "badge badge-error" : "badge"}>
          {action.status ?? "—"}
          {action.error_type ? ` ${action.error_type}` : ""}
        </span>
        <Tokens usage={action.token_usage} />
        <span>{formatCost(action.cost_micros)}</span>
        {action.started_at ? (
          <span>{formatDuration(durationBetween(action.started_at, action.ended_at))}</span>
        ) : null}
      </div>
      {action.error_message ? <p class="error-text">{action.error_message}</p> : null}
      {action.thinking.length ? (
        <details class="thinking">
          <summary>Thinking ({action.thinking.length})</summary>
          {action.thinking.map((t, i) => (
            <pre key={i}>{t.text}</pre>
          ))}
        </details>
      ) : null}
      {action.tool_calls.map((call) => (
        <div key={call.id} class="tool-call">
          <strong>{call.tool}</strong> <Time iso={call.created_at} />
          <pre>{call.input}</pre>
        </div>
      ))}
    </li>
  );
}

function ThreadCard({ thread, index }: { thread: Thread; index: number }) {
  return (
    <article class="thread" aria-label={`Thread ${index + 1}`}>
      <header>
        <h2>Thread {index + 1}</h2>
        <Time iso={thread.started_at} />
        <span>
          {thread.provider} · {thread.model}
        </span>
        <Tokens usage={thread.token_usage} />
        <span>{formatCost(thread.cost_micros)}</span>
        <span>{formatDuration(durationBetween(thread.started_at, thread.ended_at))}</span>
      </header>
      <pre class="prompt">{thread.prompt || "(no prompt recorded)"}</pre>
      <ol class="actions">
        {thread.agentic_actions.map((a, i) => (
          <Action key={a.interception_id} action={a} index={i} />
        ))}
      </ol>
    </article>
  );
}

/** One session's timeline: threads, their agentic actions, thinking, tool calls (SPEC §14, §18). */
export function SessionDetailPage({ id }: { me: Me; id: string }) {
  const [before, setBefore] = useState<string[]>([]);
  const afterId = before.at(-1);
  const path = withQuery(`/api/v2/aibridge/sessions/${encodeURIComponent(id)}`, {
    limit: THREADS_PER_PAGE,
    after_id: afterId,
  });
  const [result, reload] = useApi<SessionDetail>(path);
  const [search, setSearch] = useState("");
  const threads = result.state !== "error" ? result.data?.threads : undefined;
  const shown = useMemo(
    () => (threads ?? []).filter((t) => threadMatches(t, search.trim())),
    [threads, search],
  );

  if (result.state === "error")
    return <ErrorState error={result.error} retry={reload} feature="Session details" />;
  if (result.state === "loading" && !result.data) return <Loading what="Loading the session" />;
  const session = result.data!;
  const offset = before.length * THREADS_PER_PAGE;

  return (
    <>
      <p class="back">
        <a href={href("/")}>← All sessions</a>
      </p>
      <dl class="facts session-facts">
        <dt>Session</dt>
        <dd>
          <code>{session.id}</code>
        </dd>
        <dt>User</dt>
        <dd>{session.initiator.username}</dd>
        <dt>Client</dt>
        <dd>{session.client || "—"}</dd>
        <dt>Models</dt>
        <dd>{session.models.join(", ")}</dd>
        <dt>Started</dt>
        <dd>
          <Time iso={session.started_at} />
        </dd>
        <dt>Last active</dt>
        <dd>
          <Time iso={session.last_active_at} />
        </dd>
        <dt>Tokens</dt>
        <dd>
          <Tokens usage={session.token_usage_summary} />
        </dd>
        <dt>Cost</dt>
        <dd>{formatCost(session.cost_micros)}</dd>
      </dl>
      <div class="field search">
        <label for="session-search">Search this session</label>
        <input
          id="session-search"
          type="search"
          placeholder="prompt, tool, input, thinking, error…"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        {search.trim() ? (
          <span role="status">
            {shown.length} of {session.threads.length} threads match
          </span>
        ) : null}
      </div>
      {shown.length === 0 ? (
        <Empty>
          {search.trim() ? "No thread on this page matches the search." : "This session has no threads."}
        </Empty>
      ) : (
        <div class="timeline" aria-busy={result.state === "loading"}>
          {shown.map((t) => (
            <ThreadCard key={t.id} thread={t} index={offset + session.threads.indexOf(t)} />
          ))}
        </div>
      )}
      <nav class="pager" aria-label="Threads">
        <button type="button" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
          ← Earlier threads
        </button>
        <button
          type="button"
          disabled={session.threads.length < THREADS_PER_PAGE}
          onClick={() => setBefore([...before, session.threads.at(-1)!.id])}
        >
          Later threads →
        </button>
      </nav>
    </>
  );
}
