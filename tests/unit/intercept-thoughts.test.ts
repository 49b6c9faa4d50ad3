// SPEC §14 model thoughts: Anthropic thinking, Responses reasoning summaries and commentary.
import { describe, expect, test } from "bun:test";

import {
  chatCompletionsInterceptor as chat,
  messagesInterceptor as messages,
  responsesInterceptor as responses,
} from "../../src/bridge/intercept";
import { observeFixtureAtEverySplit, observeJson, observeText } from "../fixtures/observe";

const event = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

describe("Anthropic thinking", () => {
  test("non-empty thinking blocks in order; redacted and empty ones skipped", () => {
    const body = {
      type: "message",
      id: "msg_1",
      content: [
        { type: "thinking", thinking: "first", signature: "s" },
        {
          type: "redacted_thinking",
          data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
        },
        { type: "thinking", thinking: "", signature: "s" },
        { type: "text", text: "answer" },
        { type: "thinking", thinking: "second" },
      ],
      usage: { input_tokens: 1, output_tokens: 2 },
    };
    expect(observeJson(messages, body).thoughts).toEqual([
      { content: "first", source: "thinking" },
      { content: "second", source: "thinking" },
    ]);
  });

  test("streamed: thinking deltas joined per block, in block order; signature deltas ignored", () => {
    const text = [
      event("message_start", { message: { id: "msg_2", usage: { input_tokens: 1 } } }),
      event("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "" } }),
      event("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "Let me " } }),
      event("content_block_start", { index: 1, content_block: { type: "redacted_thinking", data: "xx" } }),
      event("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "think." } }),
      event("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: "sig" } }),
      event("content_block_start", { index: 2, content_block: { type: "thinking", thinking: "" } }),
      event("content_block_start", { index: 3, content_block: { type: "thinking", thinking: "" } }),
      event("content_block_delta", { index: 3, delta: { type: "thinking_delta", thinking: "again" } }),
      event("content_block_delta", { index: 9, delta: { type: "thinking_delta", thinking: "no block" } }),
    ].join("");
    expect(observeText(messages, text).thoughts).toEqual([
      { content: "Let me think.", source: "thinking" },
      { content: "again", source: "thinking" },
    ]);
  });

  test("the real thinking stream fixture at every chunk boundary", () => {
    expect(
      observeFixtureAtEverySplit(messages, "anthropic/stream-thinking-parallel-tools.sse").thoughts,
    ).toHaveLength(1);
  });
});

describe("OpenAI Responses reasoning summaries and commentary", () => {
  const reasoning = (id: string, texts: string[]) => ({
    id,
    type: "reasoning",
    summary: texts.map((text) => ({ type: "summary_text", text })),
  });
  const message = (id: string, phase: string | undefined, texts: string[]) => ({
    id,
    type: "message",
    role: "assistant",
    ...(phase ? { phase } : {}),
    content: texts.map((text) => ({ type: "output_text", text, annotations: [] })),
  });

  test("each summary part is a thought; commentary messages too; final answers are not", () => {
    const body = {
      id: "resp_1",
      output: [
        reasoning("rs_1", ["**Planning**", "", "Then reading"]),
        message("msg_1", "commentary", ["I'll list the files first.", "Then the README."]),
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "shell", arguments: "{}" },
        reasoning("rs_2", []),
        message("msg_2", "final_answer", ["Here it is."]),
        message("msg_3", undefined, ["No phase."]),
        message("msg_4", "commentary", [""]),
      ],
    };
    expect(observeJson(responses, body).thoughts).toEqual([
      { content: "**Planning**", source: "reasoning_summary" },
      { content: "Then reading", source: "reasoning_summary" },
      { content: "I'll list the files first.\nThen the README.", source: "commentary" },
    ]);
  });

  test("streamed: one thought per item though the item is seen in .done and in response.completed", () => {
    const rs = reasoning("rs_1", ["**Inspecting**"]);
    const commentary = message("msg_1", "commentary", ["Looking around."]);
    const text = [
      event("response.output_item.added", { output_index: 0, item: { ...rs, summary: [] } }),
      event("response.reasoning_summary_text.done", {
        item_id: "rs_1",
        output_index: 0,
        summary_index: 0,
        text: "**Inspecting**",
      }),
      event("response.output_item.done", { output_index: 0, item: rs }),
      event("response.output_item.added", { output_index: 1, item: { ...commentary, content: [] } }),
      event("response.output_item.done", { output_index: 1, item: commentary }),
      event("response.completed", { response: { id: "resp_1", output: [rs, commentary] } }),
    ].join("");
    expect(observeText(responses, text).thoughts).toEqual([
      { content: "**Inspecting**", source: "reasoning_summary" },
      { content: "Looking around.", source: "commentary" },
    ]);
  });

  test("a stream cut after a summary part finished keeps that part", () => {
    const text = event("response.reasoning_summary_text.done", {
      item_id: "rs_9",
      output_index: 0,
      summary_index: 1,
      text: "**Half way**",
    });
    expect(observeText(responses, text).thoughts).toEqual([
      { content: "**Half way**", source: "reasoning_summary" },
    ]);
  });

  test("the real reasoning stream fixture at every chunk boundary", () => {
    expect(
      observeFixtureAtEverySplit(responses, "openai-responses/stream-reasoning-parallel-tools.sse").thoughts,
    ).toEqual([
      { content: "**Inspecting the repository layout** — two reads at once.", source: "reasoning_summary" },
    ]);
  });

  test("result() returns copies", () => {
    const observer = responses.observe();
    observer.onJson({ output: [reasoning("rs_1", ["a"])] });
    observer.result().thoughts[0]!.content = "changed";
    expect(observer.result().thoughts).toEqual([{ content: "a", source: "reasoning_summary" }]);
  });
});

test("chat completions report no thoughts", () => {
  const body = {
    id: "c",
    choices: [{ message: { role: "assistant", content: "x", reasoning_content: "hidden" } }],
  };
  expect(observeJson(chat, body).thoughts).toEqual([]);
});
