// The management API's shapes as the console reads them (SPEC §9, §14, §15).

export interface MinimalUser {
  id: string;
  username: string;
  name: string;
  avatar_url: string;
}

export interface TokenCounts {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_input_tokens: number | null;
  cache_write_input_tokens: number | null;
}

export interface Interception {
  id: string;
  initiator: MinimalUser;
  provider: string;
  model: string;
  client: string;
  client_session_id: string | null;
  session_id?: string;
  credential_kind: string;
  credential_hint: string;
  started_at: string;
  ended_at: string;
  status?: number | null;
  error_type?: string | null;
  error_message?: string | null;
  cost_micros?: number | null;
  token_usages: (TokenCounts & { id: string; created_at: string })[];
  user_prompts: { id: string; prompt: string; created_at: string }[];
  tool_usages: {
    id: string;
    tool: string;
    input: string;
    created_at: string;
    invocation_error: string | null;
  }[];
  model_thoughts?: { id: string; content: string; created_at: string }[];
}

export interface Session {
  id: string;
  initiator: MinimalUser;
  providers: string[];
  models: string[];
  client: string;
  started_at: string;
  ended_at: string;
  last_active_at: string;
  threads: number;
  token_usage_summary: TokenCounts;
  cost_micros: number | null;
  last_prompt: string | null;
}

export interface AgenticAction {
  interception_id: string;
  model: string;
  status: number | null;
  error_type: string | null;
  error_message?: string | null;
  started_at?: string;
  ended_at?: string;
  token_usage: TokenCounts;
  cost_micros: number | null;
  thinking: { text: string }[];
  tool_calls: { id: string; tool: string; input: string; created_at: string }[];
}

export interface Thread {
  id: string;
  prompt: string | null;
  model: string;
  provider: string;
  credential_kind: string;
  credential_hint: string;
  started_at: string;
  ended_at: string;
  token_usage: TokenCounts;
  cost_micros: number | null;
  agentic_actions: AgenticAction[];
}

export interface SessionDetail extends Omit<Session, "threads"> {
  threads: Thread[];
}

export interface User {
  id: string;
  username: string;
  name: string;
  email: string;
  role: "owner" | "auditor" | "member";
  status: "active" | "suspended";
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

export interface SpendRow {
  key: string;
  interceptions: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_write_input_tokens: number;
  cost_micros: number | null;
  unpriced_interceptions: number;
}

export interface Spend {
  from: string;
  to: string;
  rows: SpendRow[];
}

export interface Budget {
  monthly_limit_micros: number | null;
  spent_micros: number;
  period_start: string;
  period_end: string;
}

/** Sums a list of token rows (null counts as 0; all null stays null). */
export function sumTokens(rows: TokenCounts[], field: keyof TokenCounts): number | null {
  let total: number | null = null;
  for (const row of rows) {
    const n = row[field];
    if (n !== null && n !== undefined) total = (total ?? 0) + n;
  }
  return total;
}
