/** One line of a line diff. */
export interface DiffLine {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
  /** Line number in the older text (absent for added lines). */
  readonly oldLine?: number;
  /** Line number in the newer text (absent for removed lines). */
  readonly newLine?: number;
}

/** A run of changed lines with some unchanged context around it. */
export interface DiffHunk {
  readonly lines: readonly DiffLine[];
}

/**
 * The shortest line diff from `before` to `after` (Myers' algorithm, O((N+M)·D)): policies are
 * at most a few thousand lines and versions differ by a few, so this stays fast.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v);

  // Walk back through the saved frontiers to recover the edit script.
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const frontier = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      out.push({ kind: 'same', text: a[x]!, oldLine: x + 1, newLine: y + 1 });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      out.push({ kind: 'added', text: b[y]!, newLine: y + 1 });
    } else {
      x--;
      out.push({ kind: 'removed', text: a[x]!, oldLine: x + 1 });
    }
  }
  return out.reverse();
}

/** The changed parts of a diff with `context` unchanged lines around each; nearby changes share a hunk. */
export function diffHunks(lines: readonly DiffLine[], context = 3): DiffHunk[] {
  const changed = lines.map((l, i) => (l.kind === 'same' ? -1 : i)).filter((i) => i >= 0);
  const hunks: DiffHunk[] = [];
  let start = -1;
  let end = -1;
  for (const i of changed) {
    if (start >= 0 && i - context <= end + 1) {
      end = Math.min(lines.length - 1, i + context);
      continue;
    }
    if (start >= 0) hunks.push({ lines: lines.slice(start, end + 1) });
    start = Math.max(0, i - context);
    end = Math.min(lines.length - 1, i + context);
  }
  if (start >= 0) hunks.push({ lines: lines.slice(start, end + 1) });
  return hunks;
}
