import { describe, expect, it } from 'vitest';
import { SseMessages } from './sse-messages.js';

const stream =
  'event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n' +
  ': keep-alive\n\n' +
  'event: message\ndata: {"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"},{"name":"b"}]}}\n\n';

describe('an MCP server answer as SSE', () => {
  it('hands every message to the rewrite and keeps what it leaves alone byte for byte, whatever the chunk boundaries', () => {
    for (const size of [1, 2, 7, 64, stream.length]) {
      const seen: unknown[] = [];
      const events = new SseMessages((message) => {
        seen.push(message.id ?? message.method);
        return message.id === 3 ? { ...message, result: { tools: [{ name: 'a' }] } } : null;
      });
      const bytes = new TextEncoder().encode(stream);
      let out = '';
      for (let i = 0; i < bytes.length; i += size) out += events.push(bytes.subarray(i, i + size));
      out += events.end();
      expect(seen).toEqual(['notifications/progress', 3]);
      expect(out).toBe(
        'event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n' +
          ': keep-alive\n\n' +
          'event: message\ndata: {"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"}]}}\n\n',
      );
    }
  });

  it('keeps a multi-byte character split across chunks, and leaves data that is not JSON as it came', () => {
    const events = new SseMessages(() => null);
    const bytes = new TextEncoder().encode('data: {"jsonrpc":"2.0","method":"x","params":{"t":"é"}}\n\ndata: not json\r\n\r\n');
    const split = bytes.indexOf(0xc3) + 1;
    expect(events.push(bytes.subarray(0, split)) + events.push(bytes.subarray(split)) + events.end()).toBe(new TextDecoder().decode(bytes));
  });
});
