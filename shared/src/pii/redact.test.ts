import { describe, expect, it } from 'vitest';
import { detectPii } from './detect.js';
import { MASK, RedactionMapping } from './mapping.js';
import { redactText } from './redact.js';
import { restoreText } from './restore-stream.js';

describe('redactText', () => {
  const text = 'From a@x.io to b@y.io, cc a@x.io, call +33 6 12 34 56 78';

  it('numbers placeholders per label and reuses them for repeated values', () => {
    const { text: out } = redactText(text, detectPii(text), 'placeholder');
    expect(out).toBe('From [EMAIL_1] to [EMAIL_2], cc [EMAIL_1], call [PHONE_1]');
  });

  it('keeps placeholders stable across the texts of one request when the mapping is reused', () => {
    const mapping = new RedactionMapping();
    redactText('x a@x.io', detectPii('x a@x.io'), 'placeholder', mapping);
    const second = redactText('y b@y.io and a@x.io', detectPii('y b@y.io and a@x.io'), 'placeholder', mapping);
    expect(second.text).toBe('y [EMAIL_2] and [EMAIL_1]');
  });

  it('skips placeholder numbers that already appear in the text', () => {
    const input = 'literal [EMAIL_1] and a@x.io';
    expect(redactText(input, detectPii(input), 'placeholder').text).toBe('literal [EMAIL_1] and [EMAIL_2]');
  });

  it('masks without revealing the value or its length', () => {
    const { text: out, mapping } = redactText(text, detectPii(text, ['email']), 'mask');
    expect(out).toBe(`From ${MASK} to ${MASK}, cc ${MASK}, call +33 6 12 34 56 78`);
    expect(mapping.restorable.size).toBe(0);
  });

  it('hashes deterministically, and differently under another key', () => {
    const findings = detectPii('a@x.io', ['email']);
    const plain = redactText('a@x.io', findings, 'hash').text;
    expect(plain).toMatch(/^\[EMAIL_[0-9a-f]{12}\]$/);
    expect(redactText('a@x.io', findings, 'hash').text).toBe(plain);
    expect(redactText('a@x.io', findings, 'hash', new RedactionMapping({ hashKey: 'org-key' })).text).not.toBe(plain);
  });

  it('remembers originals for restore only when asked', () => {
    const restored = redactText(text, detectPii(text), 'placeholder');
    expect(restoreText(restored.text, restored.mapping)).toBe(text);
    const kept = redactText(text, detectPii(text), 'placeholder', new RedactionMapping(), false);
    expect(kept.mapping.restorable.size).toBe(0);
  });

  it('refuses findings that do not belong to the text', () => {
    expect(() => redactText('short', [{ detector: 'email', start: 0, end: 9, value: 'a@b.cd.ef' }], 'mask')).toThrow(/does not match the text/);
  });
});
