import { describe, expect, it } from 'vitest';
import { hasObjectKey } from './json-peek.js';
import { lastObjectForKey, TailWindow } from './tail-window.js';

describe('reading usage from the end of a body', () => {
  it('keeps only the last bytes of a long body', () => {
    const tail = new TailWindow(10);
    for (const piece of ['aaaaaaaaaa', 'bbbbbbbbbb', '0123456789']) tail.push(Buffer.from(piece));
    expect(tail.text()).toBe('0123456789');
  });

  it('finds the top-level usage after content that mentions the same key', () => {
    const body = JSON.stringify({
      content: [
        { type: 'tool_use', input: { usage: { input_tokens: 999 } } },
        { type: 'text', text: 'the "usage": {"input_tokens": 5} in text' },
      ],
      usage: { input_tokens: 12, output_tokens: 3 },
    });
    expect(lastObjectForKey(body, 'usage')).toEqual({ input_tokens: 12, output_tokens: 3 });
  });

  it('works on a body cut at the front and ignores a null usage', () => {
    const body = JSON.stringify({ data: 'x'.repeat(100), usage: { prompt_tokens: 4 }, later: { usage: null } });
    expect(lastObjectForKey(body.slice(50), 'usage')).toEqual({ prompt_tokens: 4 });
  });

  it('returns null when there is no such object', () => {
    expect(lastObjectForKey('{"usage": null}', 'usage')).toBeNull();
    expect(lastObjectForKey('{"other": {}}', 'usage')).toBeNull();
  });

  it('tells an object-valued key from a null one without parsing', () => {
    expect(hasObjectKey(Buffer.from('{"usage":null,"choices":[]}'), 'usage')).toBe(false);
    expect(hasObjectKey(Buffer.from('{"usage" : {"a":1}}'), 'usage')).toBe(true);
    expect(hasObjectKey(Buffer.from('{"text":"usage","usage":{}}'), 'usage')).toBe(true);
  });
});
