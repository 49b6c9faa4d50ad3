export interface SseEvent {
  /** The `event:` field; undefined when absent or empty (the spec's default type, "message"). */
  event: string | undefined;
  /** Every `data:` line of the event, joined with "\n". */
  data: string;
  /** The last event id seen so far in the stream, as the spec's "last event ID buffer". */
  id: string | undefined;
}

const LF = 10;
const SPACE = 32;

/**
 * Incremental `text/event-stream` parser (WHATWG HTML "Interpreting an event stream"): LF, CR and
 * CRLF line ends even when a CRLF is split across chunks, comments, multi-line data, a leading BOM,
 * and UTF-8 characters split across chunks. It only reads: the bytes are relayed elsewhere untouched.
 *
 * Each decoded chunk is scanned with `indexOf` for the next LF and CR; both positions are cached, so
 * a chunk is scanned once however many lines it holds.
 */
export class SseParser {
  // With `ignoreBOM` off (the default) the decoder drops one leading U+FEFF, exactly as the spec asks.
  private readonly decoder = new TextDecoder();
  /** The unterminated tail of the previous chunk. */
  private partial = "";
  /** The previous chunk ended with CR: an LF opening the next one completes that CRLF. */
  private skipLF = false;
  private data: string | undefined;
  private eventType = "";
  private lastId: string | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: Uint8Array): void {
    if (chunk.length > 0) this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** End of stream: an event without its terminating blank line is discarded, as the spec says. */
  end(): void {
    this.feed(this.decoder.decode());
    this.partial = "";
    this.skipLF = false;
    this.data = undefined;
    this.eventType = "";
  }

  private feed(text: string): void {
    const length = text.length;
    if (length === 0) return;
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    let nextLF = text.indexOf("\n", start);
    let nextCR = text.indexOf("\r", start);
    while (nextLF !== -1 || nextCR !== -1) {
      let end: number;
      let after: number;
      if (nextCR === -1 || (nextLF !== -1 && nextLF < nextCR)) {
        end = nextLF;
        after = end + 1;
        nextLF = text.indexOf("\n", after);
      } else {
        end = nextCR;
        after = end + 1;
        if (after === length) this.skipLF = true;
        else if (text.charCodeAt(after) === LF) {
          after++;
          nextLF = text.indexOf("\n", after);
        }
        nextCR = text.indexOf("\r", after);
      }
      if (this.partial === "") this.line(text.slice(start, end));
      else {
        const line = this.partial + text.slice(start, end);
        this.partial = "";
        this.line(line);
      }
      start = after;
    }
    if (start < length) this.partial += start === 0 ? text : text.slice(start);
  }

  private line(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return; // a comment
    let field = line;
    let value = "";
    if (colon > 0) {
      field = line.slice(0, colon);
      const valueStart = line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
      value = line.slice(valueStart);
    }
    switch (field) {
      case "data":
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      // `retry` and unknown fields are ignored
    }
  }

  private dispatch(): void {
    const data = this.data;
    const eventType = this.eventType;
    this.data = undefined;
    this.eventType = "";
    if (data !== undefined) this.onEvent({ event: eventType || undefined, data, id: this.lastId });
  }
}
