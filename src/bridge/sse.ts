export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

const LINE_BREAK = /[\r\n]/g;

/**
 * Incremental parser for `text/event-stream` (WHATWG rules): LF, CR and CRLF line ends even when split
 * across chunks, comments, multi-line data, a leading BOM, and UTF-8 characters split across chunks.
 * It only reads: the bytes it sees are relayed elsewhere untouched.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private partial = "";
  private afterCR = false;
  private started = false;
  private data: string[] = [];
  private eventType: string | undefined;
  private lastId: string | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: Uint8Array): void {
    this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** End of stream: an event without its terminating blank line is discarded, as the spec says. */
  end(): void {
    this.feed(this.decoder.decode());
    this.partial = "";
    this.data = [];
    this.eventType = undefined;
  }

  private feed(input: string): void {
    let text = input;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR ended the previous chunk: an LF opening this one belongs to the same line break.
    if (this.afterCR && text.length > 0) {
      this.afterCR = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    let start = 0;
    LINE_BREAK.lastIndex = 0;
    for (let match = LINE_BREAK.exec(text); match; match = LINE_BREAK.exec(text)) {
      const end = match.index;
      const line = this.partial + text.slice(start, end);
      this.partial = "";
      this.line(line);
      start = end + 1;
      if (text[end] === "\r") {
        if (text[end + 1] === "\n") start++;
        else if (end + 1 === text.length) this.afterCR = true;
      }
      LINE_BREAK.lastIndex = start;
    }
    if (start < text.length) this.partial += text.slice(start);
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length > 0) {
      this.onEvent({ event: this.eventType || undefined, data: this.data.join("\n"), id: this.lastId });
    }
    this.data = [];
    this.eventType = undefined;
  }
}
