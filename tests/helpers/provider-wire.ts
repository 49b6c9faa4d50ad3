// Builders for the providers' exact wire formats, used by the mock upstream in SDK tests.
import { sse } from "./mock-upstream";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

export function sseResponse(text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, { headers: { ...SSE_HEADERS, ...headers } });
}

// ---- Anthropic Messages ----

export interface AnthropicBlock {
  type: "text" | "tool_use" | "thinking";
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export function anthropicMessage(blocks: AnthropicBlock[], usage: Record<string, unknown>, id = "msg_01") {
  return {
    id,
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content: blocks.map((b) =>
      b.type === "thinking"
        ? { type: "thinking", thinking: b.thinking, signature: "sig" }
        : b.type === "text"
          ? { type: "text", text: b.text }
          : { type: "tool_use", id: b.id, name: b.name, input: b.input },
    ),
    stop_reason: blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage,
  };
}

export function anthropicStream(
  blocks: AnthropicBlock[],
  startUsage: Record<string, unknown>,
  finalUsage: Record<string, unknown>,
  id = "msg_01",
): string {
  const events: { event: string; data: unknown }[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: { ...anthropicMessage([], startUsage, id), content: [], stop_reason: null },
      },
    },
  ];
  blocks.forEach((b, index) => {
    if (b.type === "text") {
      events.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      });
      for (const piece of (b.text ?? "").match(/.{1,5}/gsu) ?? []) {
        events.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
        });
      }
    } else if (b.type === "thinking") {
      events.push({
        event: "content_block_start",
        data: {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        },
      });
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: b.thinking } },
      });
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "signature_delta", signature: "sig" } },
      });
    } else {
      events.push({
        event: "content_block_start",
        data: {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
        },
      });
      const json = JSON.stringify(b.input);
      for (let i = 0; i < json.length; i += 7) {
        events.push({
          event: "content_block_delta",
          data: {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: json.slice(i, i + 7) },
          },
        });
      }
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  const stop = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  events.push({
    event: "message_delta",
    data: { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: finalUsage },
  });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  return sse(events);
}

// ---- OpenAI chat completions ----

export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

export function chatCompletion(
  content: string | null,
  toolCalls: ChatToolCall[],
  usage: Record<string, unknown>,
  id = "chatcmpl-1",
) {
  return {
    id,
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4o-2024-08-06",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content,
          refusal: null,
          ...(toolCalls.length
            ? {
                tool_calls: toolCalls.map((t) => ({
                  id: t.id,
                  type: "function",
                  function: { name: t.name, arguments: t.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length ? "tool_calls" : "stop",
      },
    ],
    usage,
    system_fingerprint: "fp_1",
  };
}

export function chatStream(
  content: string,
  toolCalls: ChatToolCall[],
  usage: Record<string, unknown> | null,
  id = "chatcmpl-1",
): string {
  const base = {
    id,
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_1",
  };
  const chunks: unknown[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    },
  ];
  for (const piece of content.match(/.{1,4}/gsu) ?? []) {
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }],
    });
  }
  toolCalls.forEach((t, index) => {
    chunks.push({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [{ index, id: t.id, type: "function", function: { name: t.name, arguments: "" } }],
          },
          logprobs: null,
          finish_reason: null,
        },
      ],
    });
    for (let i = 0; i < t.arguments.length; i += 6) {
      chunks.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index, function: { arguments: t.arguments.slice(i, i + 6) } }] },
            logprobs: null,
            finish_reason: null,
          },
        ],
      });
    }
  });
  chunks.push({
    ...base,
    choices: [
      { index: 0, delta: {}, logprobs: null, finish_reason: toolCalls.length ? "tool_calls" : "stop" },
    ],
  });
  if (usage) chunks.push({ ...base, choices: [], usage });
  return `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("")}data: [DONE]\n\n`;
}

// ---- OpenAI Responses ----

export interface ResponsesCall {
  callId: string;
  name: string;
  arguments: string;
}

export function responsesObject(
  text: string | null,
  calls: ResponsesCall[],
  usage: Record<string, unknown>,
  id = "resp_1",
  status = "completed",
) {
  const output: unknown[] = [];
  if (text !== null) {
    output.push({
      id: "msg_r1",
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text, annotations: [] }],
    });
  }
  calls.forEach((c, i) => {
    output.push({
      id: `fc_${i}`,
      type: "function_call",
      status: "completed",
      call_id: c.callId,
      name: c.name,
      arguments: c.arguments,
    });
  });
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    model: "gpt-5-codex",
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
    text: { format: { type: "text" } },
  };
}

export function responsesStream(
  text: string | null,
  calls: ResponsesCall[],
  usage: Record<string, unknown>,
  id = "resp_1",
): string {
  const final = responsesObject(text, calls, usage, id);
  const inProgress = { ...final, status: "in_progress", output: [], usage: null };
  let seq = 0;
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const push = (type: string, data: Record<string, unknown>) =>
    events.push({ event: type, data: { type, sequence_number: seq++, ...data } });
  push("response.created", { response: inProgress });
  push("response.in_progress", { response: inProgress });
  (final.output as Record<string, unknown>[]).forEach((item, output_index) => {
    if (item.type === "message") {
      push("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", content: [] },
      });
      push("response.content_part.added", {
        output_index,
        item_id: item.id,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [] },
      });
      for (const delta of text?.match(/.{1,4}/gsu) ?? []) {
        push("response.output_text.delta", {
          output_index,
          item_id: item.id,
          content_index: 0,
          delta,
          logprobs: [],
        });
      }
      push("response.output_text.done", {
        output_index,
        item_id: item.id,
        content_index: 0,
        text,
        logprobs: [],
      });
      push("response.content_part.done", {
        output_index,
        item_id: item.id,
        content_index: 0,
        part: { type: "output_text", text, annotations: [] },
      });
    } else {
      push("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      const args = item.arguments as string;
      for (let i = 0; i < args.length; i += 5) {
        push("response.function_call_arguments.delta", {
          output_index,
          item_id: item.id,
          delta: args.slice(i, i + 5),
        });
      }
      push("response.function_call_arguments.done", { output_index, item_id: item.id, arguments: args });
    }
    push("response.output_item.done", { output_index, item });
  });
  push("response.completed", { response: final });
  return sse(events);
}
