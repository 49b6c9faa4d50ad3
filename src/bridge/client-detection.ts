import { obj, str } from "./intercept/json";

export interface DetectedClient {
  client: string;
  sessionId: string | null;
}

// SPEC §8.2: first match on the lower-cased User-Agent (or a header) wins.
const CLIENTS: { client: string; matches(ua: string, headers: Headers): boolean }[] = [
  { client: "Mux", matches: (ua) => ua.includes("mux/") },
  { client: "Claude Code", matches: (ua) => ua.includes("claude") },
  { client: "Codex", matches: (ua) => ua.includes("codex") },
  { client: "Zed", matches: (ua) => ua.includes("zed/") },
  { client: "GitHub Copilot (VS Code)", matches: (ua) => ua.includes("githubcopilotchat/") },
  { client: "GitHub Copilot (CLI)", matches: (ua) => ua.includes("copilot/") },
  {
    client: "Kilo Code",
    matches: (ua, h) => ua.includes("kilo-code/") || h.get("originator") === "kilo-code",
  },
  { client: "Roo Code", matches: (ua, h) => ua.includes("roo-code/") || h.get("originator") === "roo-code" },
  { client: "Cursor", matches: (_ua, h) => h.has("x-cursor-client-version") },
  { client: "OpenCode", matches: (ua) => ua.includes("opencode/") },
  { client: "Coder Agents", matches: (ua) => ua.includes("coder-agents/") },
  { client: "Charm Crush", matches: (ua) => ua.includes("charm crush/") },
  { client: "Junie", matches: (ua) => ua.includes("junie:") },
];

/** Claude Code puts the session in `metadata.user_id`: a JSON string, or legacy `…_session_<id>`. */
function claudeSessionFromBody(body: Record<string, unknown> | null): string | null {
  const userId = str(obj(body?.metadata)?.user_id);
  if (!userId) return null;
  try {
    const parsed = obj(JSON.parse(userId));
    const session = str(parsed?.session_id);
    if (session) return session;
  } catch {
    // not JSON: try the legacy form
  }
  const legacy = /_session_(.+)$/.exec(userId);
  return legacy ? legacy[1]! : null;
}

function sessionId(client: string, headers: Headers, body: Record<string, unknown> | null): string | null {
  switch (client) {
    case "Claude Code":
      return headers.get("x-claude-code-session-id") || claudeSessionFromBody(body);
    case "Codex":
      // Current releases send `session-id`, older ones `session_id`.
      return headers.get("session-id") || headers.get("session_id") || null;
    case "Mux":
      return headers.get("x-mux-workspace-id") || null;
    case "GitHub Copilot (VS Code)":
      return headers.get("x-interaction-id") || null;
    case "GitHub Copilot (CLI)":
      return headers.get("x-client-session-id") || null;
    case "Kilo Code":
      return headers.get("x-kilocode-taskid") || null;
    case "OpenCode":
      return headers.get("x-opencode-session") || headers.get("x-session-affinity") || null;
    case "Coder Agents":
      return headers.get("x-coder-chat-id") || null;
    default:
      return null;
  }
}

/** Which AI tool sent the request, and its session when the tool says. */
export function detectClient(headers: Headers, body: Record<string, unknown> | null): DetectedClient {
  const ua = (headers.get("user-agent") ?? "").toLowerCase();
  const client = CLIENTS.find((c) => c.matches(ua, headers))?.client ?? "Unknown";
  return { client, sessionId: sessionId(client, headers, body) };
}
