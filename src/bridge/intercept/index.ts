export { chatCompletionsInterceptor } from "./chat-completions";
export { messagesInterceptor } from "./messages";
export { responsesInterceptor } from "./responses";
export type * from "./types";
