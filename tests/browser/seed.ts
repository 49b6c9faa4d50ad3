// Seeds a running gateway with real traffic: users and keys through the management API, interceptions
// through the data plane against a mock upstream speaking the providers' wire formats.
import { api, createUserWithKey } from "../helpers/http";
import type { MockUpstream } from "../helpers/mock-upstream";
import { anthropicMessage, chatCompletion } from "../helpers/provider-wire";

export interface SeededUser {
  id: string;
  username: string;
  key: string;
}

export interface Seeded {
  admin: SeededUser;
  alice: SeededUser;
  bob: SeededUser;
  /** Interceptions per user, as sent. */
  sent: Record<string, number>;
  total: number;
}

/**
 * The mock upstream answers Anthropic messages with thinking and a tool call (numbered `toolu_<n>`, so
 * that the next request can answer it) and OpenAI chat completions with text.
 */
export function answerLikeProviders(upstream: MockUpstream): void {
  let toolCalls = 0;
  upstream.handler = (request) => {
    const body = JSON.parse(request.body) as { model: string };
    if (request.path.endsWith("/v1/messages")) {
      return Response.json({
        ...anthropicMessage(
          [
            { type: "thinking", thinking: "The user wants the tests run; read the config first." },
            { type: "text", text: "Running the tests." },
            { type: "tool_use", id: `toolu_${++toolCalls}`, name: "Bash", input: { command: "bun test" } },
          ],
          {
            input_tokens: 1200,
            output_tokens: 340,
            cache_read_input_tokens: 5000,
            cache_creation_input_tokens: 0,
          },
        ),
        model: body.model,
      });
    }
    return Response.json({
      ...chatCompletion("Here is the answer.", [], {
        prompt_tokens: 800,
        completion_tokens: 120,
        total_tokens: 920,
      }),
      model: body.model,
    });
  };
}

async function send(
  url: string,
  key: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`seeding ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

type Message = { role: string; content: unknown };

/** The tool call the answer asked for. */
function toolUse(answer: unknown): { type: "tool_use"; id: string; name: string; input: unknown } {
  const content = (answer as { content: { type: string }[] }).content;
  return content.find((b) => b.type === "tool_use") as never;
}

/**
 * alice (member): 10 Claude Code threads of 3 requests each (a prompt, then two tool results), in one
 * session on Anthropic; bob (member): 8 Codex requests in two sessions on OpenAI (two models); admin
 * (owner): 4 requests on OpenAI with a third model, no client session.
 */
export async function seed(base: string, adminKey: string): Promise<Seeded> {
  const me = await api(base, "/api/v2/users/me", { key: adminKey });
  const admin = { id: me.json.id as string, username: "admin", key: adminKey };
  const alice = { username: "alice", ...(await createUserWithKey(base, adminKey, "alice", "member")) };
  const bob = { username: "bob", ...(await createUserWithKey(base, adminKey, "bob", "member")) };
  const anthropic = `${base}/api/v2/aibridge/anthropic/v1/messages`;
  const openai = `${base}/api/v2/aibridge/openai/v1/chat/completions`;
  const sent: Record<string, number> = { alice: 0, bob: 0, admin: 0 };

  const claudeCode = {
    "user-agent": "claude-cli/2.0.14 (external, cli)",
    "x-claude-code-session-id": "session-alice-1",
  };
  for (let thread = 0; thread < 10; thread++) {
    const messages: Message[] = [{ role: "user", content: `Run the test suite, pass ${thread + 1}` }];
    for (let step = 0; step < 3; step++) {
      const body = { model: "claude-sonnet-4-5-20250929", max_tokens: 1024, messages };
      const call = toolUse(await send(anthropic, alice.key, body, claudeCode));
      sent.alice!++;
      messages.push(
        { role: "assistant", content: [call] },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: call.id, content: `${step + 1} tests passed` }],
        },
      );
    }
  }
  for (let i = 0; i < 8; i++) {
    await send(
      openai,
      bob.key,
      {
        model: i % 2 ? "gpt-4o-mini" : "gpt-4o",
        messages: [{ role: "user", content: `Explain module ${i + 1}` }],
      },
      { "user-agent": "codex_cli_rs/0.50.0", session_id: `session-bob-${i % 2}` },
    );
    sent.bob!++;
  }
  for (let i = 0; i < 4; i++) {
    await send(
      openai,
      adminKey,
      { model: "gpt-4.1", messages: [{ role: "user", content: `Summarise incident ${i + 1}` }] },
      {},
    );
    sent.admin!++;
  }
  const total = sent.alice! + sent.bob! + sent.admin!;
  // Recording is asynchronous: wait until every interception is ended and listed.
  for (let i = 0; i < 600; i++) {
    const listed = await api(base, "/api/v2/aibridge/interceptions?limit=1", { key: adminKey });
    if (listed.json?.count === total) break;
    await Bun.sleep(50);
  }
  return { admin, alice, bob, sent, total };
}
