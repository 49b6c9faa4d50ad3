import { describe, expect, test } from "bun:test";

import { detectClient } from "../../src/bridge/client-detection";

const detect = (headers: Record<string, string>, body: Record<string, unknown> | null = null) =>
  detectClient(new Headers(headers), body);

describe("client detection (SPEC §8.2)", () => {
  test.each([
    [{ "user-agent": "mux/1.0 claude" }, "Mux"],
    [{ "user-agent": "claude-cli/2.0.14 (external, cli)" }, "Claude Code"],
    [{ "user-agent": "Claude-Code/1" }, "Claude Code"],
    [{ "user-agent": "codex_cli_rs/0.50.0 (Mac OS)" }, "Codex"],
    [{ "user-agent": "Zed/0.200.1" }, "Zed"],
    [{ "user-agent": "GitHubCopilotChat/0.31" }, "GitHub Copilot (VS Code)"],
    [{ "user-agent": "copilot/1.0.2 (cli)" }, "GitHub Copilot (CLI)"],
    [{ "user-agent": "Kilo-Code/4.1" }, "Kilo Code"],
    [{ originator: "kilo-code" }, "Kilo Code"],
    [{ "user-agent": "roo-code/3.2" }, "Roo Code"],
    [{ originator: "roo-code" }, "Roo Code"],
    [{ "x-cursor-client-version": "1.7" }, "Cursor"],
    [{ "user-agent": "OpenAI/JS 5.0" }, "Unknown"],
    [{}, "Unknown"],
  ])("%p → %s", (headers, client) => {
    expect(detect(headers).client).toBe(client);
  });

  test("sessions", () => {
    expect(detect({ "user-agent": "claude-cli/2", "x-claude-code-session-id": "s1" }).sessionId).toBe("s1");
    expect(
      detect(
        { "user-agent": "claude-cli/2" },
        { metadata: { user_id: JSON.stringify({ device_id: "d", session_id: "s2" }) } },
      ).sessionId,
    ).toBe("s2");
    expect(
      detect({ "user-agent": "claude-cli/2" }, { metadata: { user_id: "user_abc_account_x_session_s3" } })
        .sessionId,
    ).toBe("s3");
    expect(
      detect({ "user-agent": "claude-cli/2" }, { metadata: { user_id: "no-session" } }).sessionId,
    ).toBeNull();
    expect(detect({ "user-agent": "claude-cli/2" }, { metadata: "x" }).sessionId).toBeNull();
    expect(detect({ "user-agent": "codex_cli_rs/1", session_id: "s4" }).sessionId).toBe("s4");
    expect(detect({ "user-agent": "mux/1", "x-mux-workspace-id": "w5" }).sessionId).toBe("w5");
    expect(detect({ "user-agent": "GitHubCopilotChat/1", "x-interaction-id": "i6" }).sessionId).toBe("i6");
    expect(detect({ "user-agent": "copilot/1", "x-client-session-id": "c7" }).sessionId).toBe("c7");
    expect(detect({ "user-agent": "kilo-code/1", "x-kilocode-taskid": "k8" }).sessionId).toBe("k8");
    expect(detect({ "x-cursor-client-version": "1", session_id: "ignored" }).sessionId).toBeNull();
    expect(detect({ "user-agent": "zed/1" }).sessionId).toBeNull();
  });
});
