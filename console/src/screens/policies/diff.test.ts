import { describe, expect, it } from 'vitest';
import { diffHunks, diffLines } from './diff';

const kinds = (before: string, after: string) => diffLines(before, after).map((l) => `${l.kind === 'same' ? ' ' : l.kind === 'added' ? '+' : '-'}${l.text}`);

describe('line diffs between policy versions', () => {
  it('finds a changed line among unchanged ones', () => {
    expect(kinds('a\nb\nc', 'a\nB\nc')).toEqual([' a', '-b', '+B', ' c']);
  });

  it('finds added and removed lines at both ends', () => {
    expect(kinds('a\nb', 'x\na\nb\ny')).toEqual(['+x', ' a', ' b', '+y']);
    expect(kinds('a\nb\nc', 'b')).toEqual(['-a', ' b', '-c']);
  });

  it('numbers lines in both versions', () => {
    const lines = diffLines('a\nb\nc', 'a\nc\nd');
    expect(lines).toEqual([
      { kind: 'same', text: 'a', oldLine: 1, newLine: 1 },
      { kind: 'removed', text: 'b', oldLine: 2 },
      { kind: 'same', text: 'c', oldLine: 3, newLine: 2 },
      { kind: 'added', text: 'd', newLine: 3 },
    ]);
  });

  it('says nothing changed for identical texts', () => {
    expect(diffHunks(diffLines('a\nb', 'a\nb'))).toEqual([]);
  });

  it('keeps a few lines of context around each change and splits distant changes', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const after = before.replace('line 2\n', 'line two\n').replace('line 18', 'line eighteen');
    const hunks = diffHunks(diffLines(before, after), 2);
    expect(hunks).toHaveLength(2);
    expect(hunks[0]!.lines.map((l) => l.text)).toEqual(['line 1', 'line 2', 'line two', 'line 3', 'line 4']);
  });
});
