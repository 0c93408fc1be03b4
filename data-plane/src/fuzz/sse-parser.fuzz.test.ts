import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzBudget } from './budget.js';
import { SseParser, type SseEvent } from '../streaming/sse-parser.js';

const line = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => `data: ${s}`),
  fc.string({ maxLength: 10 }).map((s) => `event:${s}`),
  fc.string({ maxLength: 10 }).map((s) => `: ${s}`),
  fc.constant(''),
  fc.string({ maxLength: 10 }),
);
const ending = fc.constantFrom('\n', '\r\n', '\r');
/** SSE-like text: random lines with any mix of line ends (SSE allows LF, CRLF and CR). */
const stream = fc.array(fc.tuple(line, ending), { maxLength: 30 }).map((lines) => Buffer.from(lines.map(([l, e]) => l + e).join(''), 'utf8'));
/** Cut points inside the stream, as fractions. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

function parse(chunks: Buffer[]): SseEvent[] {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  const rest = parser.end();
  return rest ? [...events, rest] : events;
}

function split(bytes: Buffer, fractions: number[]): Buffer[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length));
}

const shape = (events: SseEvent[]) => events.map((e) => ({ raw: e.raw.toString('latin1'), event: e.event, data: e.data?.toString('latin1') ?? null }));

describe('fuzz: the SSE parser', () => {
  it('finds the same events, with the same bytes, however the stream is cut into chunks, each event’s bytes taken in order from the stream', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          stream,
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        ),
        cuts,
        (bytes, fractions) => {
          const whole = parse([bytes]);
          const chunked = parse(split(bytes, fractions));
          expect(shape(chunked)).toEqual(shape(whole));
          // Blank lines that end no event are not forwarded (SSE ignores them); everything else is, in order.
          let from = 0;
          for (const event of chunked) {
            const at = bytes.indexOf(event.raw, from);
            expect(at).toBeGreaterThanOrEqual(0);
            expect(bytes.subarray(from, at).every((b) => b === 0x0a || b === 0x0d)).toBe(true);
            from = at + event.raw.length;
          }
        },
      ),
      fuzzBudget(1_000),
    );
  });
});
