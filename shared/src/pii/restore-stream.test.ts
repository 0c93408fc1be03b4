import { describe, expect, it } from 'vitest';
import { createRestoreStream, restoreText } from './restore-stream.js';

const mapping = new Map([
  ['[EMAIL_1]', 'jane@example.com'],
  ['[EMAIL_12]', 'joe@example.com'],
  ['[PHONE_1]', '+33 6 12 34 56 78'],
]);

/** Feeds `chunks` through a fresh stream and returns everything it released. */
function run(chunks: string[], options?: Parameters<typeof createRestoreStream>[1]): { text: string; released: string[] } {
  const stream = createRestoreStream(mapping, options);
  const released = chunks.map((c) => stream.push(c));
  released.push(stream.flush());
  return { text: released.join(''), released };
}

describe('createRestoreStream', () => {
  const response = 'Dear [EMAIL_1], [EMAIL_12] and [PHONE_1] called; [EMAIL_9] is unknown, [x] is text [';
  const expected = 'Dear jane@example.com, joe@example.com and +33 6 12 34 56 78 called; [EMAIL_9] is unknown, [x] is text [';

  it('restores a whole response passed in one chunk', () => {
    expect(run([response]).text).toBe(expected);
  });

  it('restores correctly for every single split position', () => {
    for (let i = 0; i <= response.length; i++) {
      expect(run([response.slice(0, i), response.slice(i)]).text, `split at ${i}`).toBe(expected);
    }
  });

  it('restores correctly for every pair of split positions', () => {
    for (let i = 0; i <= response.length; i++) {
      for (let j = i; j <= response.length; j++) {
        const chunks = [response.slice(0, i), response.slice(i, j), response.slice(j)];
        expect(run(chunks).text, `split at ${i} and ${j}`).toBe(expected);
      }
    }
  });

  it('restores when the response arrives one character at a time', () => {
    expect(run([...response]).text).toBe(expected);
  });

  it('holds back only the tail that may still become a placeholder', () => {
    const stream = createRestoreStream(mapping);
    expect(stream.push('Hello [EMA')).toBe('Hello ');
    expect(stream.push('IL_1')).toBe('');
    expect(stream.push('] and [EMAIL_1')).toBe('jane@example.com and ');
    expect(stream.push('2]!')).toBe('joe@example.com!');
    expect(stream.flush()).toBe('');
  });

  it('releases text at once when a bracket cannot start a placeholder', () => {
    const stream = createRestoreStream(mapping);
    expect(stream.push('array[0')).toBe('array[0');
    expect(stream.push('] [[')).toBe('] [');
    expect(stream.push('EMAIL')).toBe('');
    expect(stream.push(' x')).toBe('[EMAIL x');
    expect(stream.flush()).toBe('');
  });

  it('releases an unfinished placeholder as written when the stream ends', () => {
    expect(run(['see [PHONE_']).released).toEqual(['see ', '[PHONE_']);
  });

  it('never holds back more than the longest placeholder', () => {
    const stream = createRestoreStream(mapping);
    const out = stream.push(`${'x'.repeat(10_000)}[EMAIL_1`);
    expect(out.length).toBe(10_000);
  });

  it('escapes originals as JSON string content for argument streams', () => {
    const quoted = new Map([['[NAME_1]', 'say "hi"\n']]);
    const stream = createRestoreStream(quoted, { escape: 'json' });
    expect(stream.push('{"text":"[NAME') + stream.push('_1]"}') + stream.flush()).toBe('{"text":"say \\"hi\\"\\n"}');
  });

  it('passes text through untouched when nothing is restorable', () => {
    const stream = createRestoreStream(new Map());
    expect(stream.push('[EMA')).toBe('[EMA');
  });

  it('rejects mappings whose keys are not placeholders', () => {
    expect(() => createRestoreStream(new Map([['EMAIL_1', 'x']]))).toThrow(/is not a placeholder/);
  });

  it('restores a complete text with restoreText', () => {
    expect(restoreText('to [EMAIL_1]', mapping)).toBe('to jane@example.com');
  });
});
