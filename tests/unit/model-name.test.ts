import { describe, expect, test } from "bun:test";

import {
  chatCompletionsInterceptor,
  messagesInterceptor,
  responsesInterceptor,
} from "../../src/bridge/intercept";
import { MAX_MODEL_NAME_LENGTH, modelNameProblem } from "../../src/bridge/model-name";

describe("model names (SPEC §13)", () => {
  test.each([
    "gpt-4o",
    "claude-sonnet-4-5-20250929",
    "x",
    "a".repeat(256),
    "😀".repeat(256), // 256 characters, 512 UTF-16 units
    "modèle/日本語 with spaces",
    "\u0080\u009f\u00a0", // C1 controls and NBSP are not in the refused range
    "\ud83d\ude00", // a proper surrogate pair
  ])("accepted: %p", (model) => {
    expect(modelNameProblem(model)).toBeNull();
  });

  test.each([
    ["257 characters", "a".repeat(257)],
    ["257 astral characters", "😀".repeat(257)],
    ["far too long", "m".repeat(100_000)],
    ["NUL", "gpt\u0000"],
    ["newline", "gpt-4o\n"],
    ["tab", "gpt\t4o"],
    ["unit separator", "\u001f"],
    ["DEL", "gpt\u007f"],
    ["lone high surrogate", "gpt\ud800"],
    ["lone low surrogate", "\udc00gpt"],
    ["reversed pair", "\ude00\ud83d"],
  ])("refused: %s", (_, model) => {
    expect(modelNameProblem(model)).toBeString();
  });

  test("the limit is 256", () => {
    expect(MAX_MODEL_NAME_LENGTH).toBe(256);
  });

  test("every API refuses a bad model name as a request error", () => {
    for (const interceptor of [messagesInterceptor, chatCompletionsInterceptor, responsesInterceptor]) {
      for (const model of ["gpt\u0000", "x".repeat(300), "\ud800", "", "  ", 5, null]) {
        const facts = interceptor.parseRequest({ model, messages: [], input: "hi" });
        expect({ api: interceptor.api, model, refused: "error" in facts }).toEqual({
          api: interceptor.api,
          model,
          refused: true,
        });
      }
      expect("error" in interceptor.parseRequest({ model: "ok", messages: [], input: "hi" })).toBe(false);
    }
  });
});
