import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

const parseAll = (chunks: string[]) => {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(Buffer.from(c)));
  return { events, rest: parser.end() };
};

describe('the SSE parser', () => {
  it('splits a stream into events with their exact bytes, names and data', () => {
    const { events } = parseAll(['event: message_start\ndata: {"a":1}\n\ndata: [DONE]\n\n']);
    expect(events.map((e) => [e.raw.toString(), e.event, e.data?.toString()])).toEqual([
      ['event: message_start\ndata: {"a":1}\n\n', 'message_start', '{"a":1}'],
      ['data: [DONE]\n\n', null, '[DONE]'],
    ]);
  });

  it('reassembles events cut anywhere across chunks, including inside a CRLF', () => {
    const text = 'data: {"x":"1"}\r\n\r\ndata: {"x":"2"}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { events } = parseAll([text.slice(0, cut), text.slice(cut)]);
      expect(events.map((e) => e.data?.toString())).toEqual(['{"x":"1"}', '{"x":"2"}']);
      expect(Buffer.concat(events.map((e) => e.raw)).toString()).toBe(text);
    }
  });

  it('joins multi-line data with newlines and accepts a field without the space', () => {
    const { events } = parseAll(['data:first\ndata: second\n\n']);
    expect(events[0].data?.toString()).toBe('first\nsecond');
  });

  it('keeps comment-only events so keep-alives are forwarded', () => {
    const { events } = parseAll([': ping\n\ndata: x\n\n']);
    expect(events.map((e) => e.raw.toString())).toEqual([': ping\n\n', 'data: x\n\n']);
    expect(events[0].data).toBeNull();
  });

  it('hands back an unterminated last event when the stream ends', () => {
    const { events, rest } = parseAll(['data: a\n\ndata: b']);
    expect(events).toHaveLength(1);
    expect(rest?.raw.toString()).toBe('data: b');
    expect(rest?.data?.toString()).toBe('b');
  });
});
