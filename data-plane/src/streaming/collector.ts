/**
 * Keeps up to `limit` bytes of buffers (stream event data, or a body) for the rare cases that
 * need the completion's text: content capture, and estimating usage a provider never reported.
 */
export class ByteCollector {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(private readonly limit: number) {}

  push(data: Buffer): void {
    if (this.size + data.length > this.limit) {
      this.cut = true;
      return;
    }
    this.parts.push(data);
    this.size += data.length;
  }

  /** The buffers kept, in order. */
  get buffers(): readonly Buffer[] {
    return this.parts;
  }

  /** True when something was left out for lack of room. */
  get truncated(): boolean {
    return this.cut;
  }

  concat(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** Cuts text to `max` characters for an event, marking the cut. */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated]`;
}
