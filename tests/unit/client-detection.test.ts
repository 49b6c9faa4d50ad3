import { describe, expect, test } from "bun:test";

import { detectClient } from "../../src/bridge/client-detection";

const detect = (headers: Record<string, string>, body: Record<string, unknown> | null = null) =>
  detectClient(new Headers(headers), body);

// SPEC §8.2, in order: the User-Agent token (or header) each rule matches, and the client it names.
const RULES: { client: string; ua?: string; header?: Record<string, string> }[] = [
  { client: "Mux", ua: "mux/0.9.1" },
  { client: "Claude Code", ua: "claude-cli/2.0.14 (external, cli)" },
  { client: "Codex", ua: "codex_cli_rs/0.46.0 (Mac OS 15.6.1; arm64) iTerm.app/3.6.1" },
  { client: "Zed", ua: "Zed/0.208.4 (macos; aarch64)" },
  { client: "GitHub Copilot (VS Code)", ua: "GitHubCopilotChat/0.32.0" },
  { client: "GitHub Copilot (CLI)", ua: "copilot/0.0.340 (darwin v24.8.0) term/iTerm.app" },
  { client: "Kilo Code", ua: "Kilo-Code/4.104.0", header: { originator: "kilo-code" } },
  { client: "Roo Code", ua: "Roo-Code/3.28.15", header: { originator: "roo-code" } },
  { client: "Cursor", header: { "x-cursor-client-version": "1.7.44" } },
  { client: "OpenCode", ua: "opencode/0.15.8 ai-sdk/provider-utils/3.0.10 runtime/bun/1.3.0" },
  { client: "Coder Agents", ua: "coder-agents/v2.28.0" },
  { client: "Charm Crush", ua: "Charm Crush/0.12.1" },
  { client: "Junie", ua: "Junie:cli/642.1 (linux; x64)" },
];

describe("client detection: which tool (SPEC §8.2)", () => {
  test.each(RULES.filter((r) => r.ua).map((r) => [r.ua!, r.client]))("User-Agent %p → %s", (ua, client) => {
    expect(detect({ "user-agent": ua }).client).toBe(client);
  });

  for (const { header, client } of RULES.filter((r) => r.header)) {
    test(`header ${JSON.stringify(header)} → ${client}`, () => {
      expect(detect({ "user-agent": "node-fetch", ...header }).client).toBe(client);
    });
  }

  test("the User-Agent match ignores case", () => {
    expect(detect({ "user-agent": "MUX/1" }).client).toBe("Mux");
    expect(detect({ "user-agent": "Claude-Code/1" }).client).toBe("Claude Code");
    expect(detect({ "user-agent": "CODEX_EXEC/0.40" }).client).toBe("Codex");
    expect(detect({ "user-agent": "githubcopilotchat/1" }).client).toBe("GitHub Copilot (VS Code)");
    expect(detect({ "user-agent": "ROO-CODE/3" }).client).toBe("Roo Code");
  });

  test("the tokens are substrings anywhere in the User-Agent", () => {
    expect(detect({ "user-agent": "Mozilla/5.0 claude-vscode/1.0" }).client).toBe("Claude Code");
    expect(detect({ "user-agent": "OpenAI/JS 5.23.0 codex" }).client).toBe("Codex");
    expect(detect({ "user-agent": "electron zed/1" }).client).toBe("Zed");
  });

  test("the first rule in table order wins when several match", () => {
    const mismatches: string[] = [];
    for (let i = 0; i < RULES.length; i++) {
      for (let j = i + 1; j < RULES.length; j++) {
        const earlier = RULES[i]!;
        const later = RULES[j]!;
        // every way of expressing both rules at once: UA tokens (in both orders) and headers
        const uas = [`${later.ua ?? ""} ${earlier.ua ?? ""}`, `${earlier.ua ?? ""} ${later.ua ?? ""}`];
        for (const ua of uas) {
          const headers = { ...later.header, ...earlier.header, "user-agent": ua.trim() };
          if (earlier.ua === undefined && later.ua === undefined) continue;
          const got = detect(headers).client;
          if (got !== earlier.client) mismatches.push(`${JSON.stringify(headers)} → ${got}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  test("a User-Agent rule beats a later header rule, and an earlier header rule beats a later User-Agent rule", () => {
    expect(detect({ "user-agent": "claude-cli/2", "x-cursor-client-version": "1" }).client).toBe(
      "Claude Code",
    );
    expect(detect({ "user-agent": "Roo-Code/3", originator: "kilo-code" }).client).toBe("Kilo Code");
    expect(detect({ "user-agent": "Kilo-Code/4", originator: "roo-code" }).client).toBe("Kilo Code");
  });

  test("the Cursor header counts even when empty; an unrelated originator does not", () => {
    expect(detect({ "x-cursor-client-version": "" }).client).toBe("Cursor");
    expect(detect({ originator: "codex_cli_rs" }).client).toBe("Unknown");
  });

  test("no match → Unknown", () => {
    expect(detect({}).client).toBe("Unknown");
    expect(detect({ "user-agent": "OpenAI/JS 5.23.0" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "Anthropic/JS 0.65.0" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "curl/8.7.1" }).client).toBe("Unknown");
    // the token needs its slash
    expect(detect({ "user-agent": "mux" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "zed" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "kilo-code" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "opencode" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "charm-crush/1" }).client).toBe("Unknown");
    expect(detect({ "user-agent": "junie/1" }).client).toBe("Unknown");
  });
});

describe("client detection: session id (SPEC §8.2)", () => {
  test.each([
    [
      "Codex (older)",
      { "user-agent": "codex_cli_rs/0.46.0", session_id: "0199e1c2-codex" },
      "0199e1c2-codex",
    ],
    ["Codex (current)", { "user-agent": "codex_cli_rs/0.178.0", "session-id": "019a-codex" }, "019a-codex"],
    ["OpenCode", { "user-agent": "opencode/0.15.8", "x-opencode-session": "ses_1" }, "ses_1"],
    ["OpenCode (affinity)", { "user-agent": "opencode/0.15.8", "x-session-affinity": "aff-2" }, "aff-2"],
    ["Coder Agents", { "user-agent": "coder-agents/v2.28.0", "X-Coder-Chat-Id": "chat-3" }, "chat-3"],
    ["Mux", { "user-agent": "mux/0.9", "x-mux-workspace-id": "ws-42" }, "ws-42"],
    ["Copilot VS Code", { "user-agent": "GitHubCopilotChat/0.32", "x-interaction-id": "int-1" }, "int-1"],
    ["Copilot CLI", { "user-agent": "copilot/0.0.340", "x-client-session-id": "cli-7" }, "cli-7"],
    ["Kilo (User-Agent)", { "user-agent": "Kilo-Code/4", "X-KILOCODE-TASKID": "task-9" }, "task-9"],
    ["Kilo (originator)", { originator: "kilo-code", "x-kilocode-taskid": "task-10" }, "task-10"],
    ["Claude Code header", { "user-agent": "claude-cli/2", "X-Claude-Code-Session-Id": "s-1" }, "s-1"],
  ])("%s", (_, headers, session) => {
    expect(detect(headers).sessionId).toBe(session);
  });

  test("Codex: `session-id` first, then `session_id`; an empty one counts as absent", () => {
    const codex = { "user-agent": "codex_cli_rs/0.178.0" };
    expect(detect({ ...codex, "session-id": "new", session_id: "old" }).sessionId).toBe("new");
    expect(detect({ ...codex, "session-id": "", session_id: "old" }).sessionId).toBe("old");
  });

  test("OpenCode: X-OpenCode-Session first, then x-session-affinity", () => {
    const opencode = { "user-agent": "opencode/0.15.8" };
    expect(detect({ ...opencode, "x-opencode-session": "s", "x-session-affinity": "a" }).sessionId).toBe("s");
  });

  test("Charm Crush and Junie have no session header", () => {
    const all = { "session-id": "x", "x-opencode-session": "y", "x-coder-chat-id": "z" };
    expect(detect({ ...all, "user-agent": "Charm Crush/0.12.1" }).sessionId).toBeNull();
    expect(detect({ ...all, "user-agent": "Junie:cli/642.1" }).sessionId).toBeNull();
  });

  test("each client reads only its own session header", () => {
    const all = {
      session_id: "codex",
      "x-mux-workspace-id": "mux",
      "x-interaction-id": "vscode",
      "x-client-session-id": "cli",
      "x-kilocode-taskid": "kilo",
      "x-claude-code-session-id": "claude",
      "x-opencode-session": "opencode",
      "x-coder-chat-id": "coder-agents",
    };
    expect(detect({ ...all, "user-agent": "claude-cli/2" }).sessionId).toBe("claude");
    expect(detect({ ...all, "user-agent": "codex_cli_rs/1" }).sessionId).toBe("codex");
    expect(detect({ ...all, "user-agent": "mux/1" }).sessionId).toBe("mux");
    expect(detect({ ...all, "user-agent": "GitHubCopilotChat/1" }).sessionId).toBe("vscode");
    expect(detect({ ...all, "user-agent": "copilot/1" }).sessionId).toBe("cli");
    expect(detect({ ...all, "user-agent": "kilo-code/1" }).sessionId).toBe("kilo");
    expect(detect({ ...all, "user-agent": "opencode/1" }).sessionId).toBe("opencode");
    expect(detect({ ...all, "user-agent": "coder-agents/1" }).sessionId).toBe("coder-agents");
    expect(detect({ ...all, "user-agent": "Zed/1" }).sessionId).toBeNull();
    expect(detect({ ...all, "user-agent": "roo-code/1" }).sessionId).toBeNull();
    expect(detect({ ...all, "x-cursor-client-version": "1" }).sessionId).toBeNull();
    expect(detect(all).sessionId).toBeNull();
  });

  test("a client without its session header has none", () => {
    for (const ua of [
      "codex_cli_rs/1",
      "mux/1",
      "GitHubCopilotChat/1",
      "copilot/1",
      "kilo-code/1",
      "claude-cli/2",
      "opencode/1",
      "coder-agents/1",
    ]) {
      expect(detect({ "user-agent": ua }).sessionId).toBeNull();
    }
  });

  describe("Claude Code: body metadata.user_id when the header is absent", () => {
    const claude = { "user-agent": "claude-cli/2.0.14 (external, cli)" };
    const withUserId = (user_id: unknown) => ({ model: "m", metadata: { user_id } });

    test("a JSON string with session_id", () => {
      const userId = JSON.stringify({
        device_id: "9f1c…",
        account_uuid: "7c2e0b7e-1d3b-4b8e-9a55-0c8f6c1b2a3d",
        session_id: "5e6f7a8b-0000-4c1d-8e9f-0123456789ab",
      });
      expect(detect(claude, withUserId(userId)).sessionId).toBe("5e6f7a8b-0000-4c1d-8e9f-0123456789ab");
    });

    test("the legacy form …_session_<id>", () => {
      const legacy =
        "user_2f1a6c0d9b8e7f6a5b4c3d2e1f0a9b8c_account_7c2e0b7e-1d3b-4b8e-9a55-0c8f6c1b2a3d_session_0f1e2d3c-4b5a-6978-8a9b-cdef01234567";
      expect(detect(claude, withUserId(legacy)).sessionId).toBe("0f1e2d3c-4b5a-6978-8a9b-cdef01234567");
    });

    test("the header wins over the body; an empty header falls back to the body", () => {
      const body = withUserId(JSON.stringify({ session_id: "from-body" }));
      expect(detect({ ...claude, "x-claude-code-session-id": "from-header" }, body).sessionId).toBe(
        "from-header",
      );
      expect(detect({ ...claude, "x-claude-code-session-id": "" }, body).sessionId).toBe("from-body");
    });

    test("nothing usable → null", () => {
      for (const body of [
        null,
        {},
        { metadata: null },
        { metadata: "x" },
        { metadata: {} },
        withUserId(5),
        withUserId(""),
        withUserId("user_abc_account_def"),
        withUserId(JSON.stringify({ device_id: "d" })),
        withUserId(JSON.stringify({ session_id: 42 })),
        withUserId(JSON.stringify({ session_id: "" })),
        withUserId("{not json"),
        withUserId("user_abc_session_"),
      ]) {
        expect(detect(claude, body as Record<string, unknown> | null).sessionId).toBeNull();
      }
    });

    test("other clients never read the body", () => {
      const body = withUserId(JSON.stringify({ session_id: "s" }));
      expect(detect({ "user-agent": "codex_cli_rs/1" }, body).sessionId).toBeNull();
      expect(detect({}, body).sessionId).toBeNull();
    });
  });
});
