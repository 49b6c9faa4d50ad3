// Tests read many ad-hoc JSON bodies; `any` there keeps assertions readable.
declare global {
  interface Response {
    // biome-ignore lint/suspicious/noExplicitAny: test-only convenience
    json(): Promise<any>;
  }
}

export {};
