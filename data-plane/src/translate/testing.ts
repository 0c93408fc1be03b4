import type { StreamTranslator } from './contract.js';

/** Feeds `text` to a stream translator in pieces of `size` bytes (splitting multi-byte characters too) and returns all it wrote. */
export function runStream(stream: StreamTranslator, text: string, size: number): string {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(stream.push(bytes.subarray(i, i + size)));
  out.push(stream.end());
  return Buffer.concat(out).toString('utf8');
}

/** The JSON of each `data:` event of an SSE text, `[DONE]` left out. */
export function sseData(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data: ')))
    .map((line) => line.slice('data: '.length))
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}

/** A chat stream's chunks, typed loosely for assertions. */
export function chatChunks(text: string) {
  return sseData(text) as {
    id: string;
    model: string;
    choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
    usage?: unknown;
    error?: unknown;
  }[];
}

/** A stream's text without its `created` times, which come from the clock, for comparing two runs. */
export function withoutCreated(text: string): string {
  return text.replaceAll(/"created":\d+/g, '"created":0');
}
