import { describe, expect, it } from 'vitest';
import { buildSample, emptySampleForm, parsePairs } from './sample';

describe('the test sample', () => {
  it('sends only what was filled in', () => {
    const built = buildSample({
      ...emptySampleForm(),
      messages: [
        { role: 'user', text: 'hi' },
        { role: 'assistant', text: ' ' },
      ],
    });
    expect(built).toEqual({
      ok: true,
      sample: expect.objectContaining({ model: 'gpt-4o-mini', messages: [{ role: 'user', text: 'hi' }], headers: undefined, response: undefined }),
    });
  });

  it('reads headers, labels, tool arguments and the estimated cost', () => {
    const built = buildSample({
      ...emptySampleForm(),
      headers: 'x-keyward-ticket: CHG-1\n\n',
      keyLabels: 'env=prod',
      toolCalls: [
        { name: 'shell_exec', arguments: '{"command":"rm -rf /"}' },
        { name: 'search', arguments: 'not json' },
      ],
      estimatedCost: '0.25',
      withResponse: true,
      responseText: 'done',
    });
    if (!built.ok) throw new Error(built.message);
    expect(built.sample.headers).toEqual({ 'x-keyward-ticket': 'CHG-1' });
    expect(built.sample.keyLabels).toEqual({ env: 'prod' });
    expect(built.sample.toolCalls).toEqual([
      { name: 'shell_exec', arguments: { command: 'rm -rf /' } },
      { name: 'search', arguments: 'not json' },
    ]);
    expect(built.sample.estimatedCostMicros).toBe(250_000);
    expect(built.sample.response).toEqual({ text: 'done', toolCalls: undefined });
  });

  it('says which line of a pair list is wrong', () => {
    expect(parsePairs('a: 1\nbroken', ':', 'Headers')).toBe('Headers, line 2: write it as name: value.');
    expect(buildSample({ ...emptySampleForm(), toolCalls: [{ name: '', arguments: '' }] })).toEqual({ ok: false, message: 'Tool call #1 needs a tool name.' });
  });
});
