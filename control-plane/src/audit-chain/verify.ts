import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { checkpointMessage } from './checkpoints.js';
import { contentDigestOf, GENESIS_HASH, linkedRow, linkHash, type ChainKindName } from './chain-kinds.js';
import type { TrailLine } from './trail-lines.js';

/** What is wrong at one place of a chain. */
type ChainProblemKind = 'ALTERED' | 'DELETED' | 'INSERTED' | 'REORDERED' | 'CHECKPOINT_MISMATCH' | 'BAD_SIGNATURE';

interface ChainProblem {
  readonly problem: ChainProblemKind;
  readonly chain: ChainKindName;
  /** The position concerned (the first missing one for `DELETED`); null for a row outside the chain. */
  readonly seq: number | null;
  /** The row named: the altered, inserted or out-of-place row, or the row after a deleted range. */
  readonly rowId: string | null;
  readonly message: string;
}

interface ChainSummary {
  readonly chain: ChainKindName;
  /** The checkpoint the walk started from (retention deleted what came before), or null from the first row. */
  readonly anchorSeq: number | null;
  readonly lastSeq: number;
  readonly rowsChecked: number;
  readonly checkpointsChecked: number;
  /** Rows whose content retention cleared: their link still verifies by the content digest. */
  readonly contentPurged: number;
}

export interface TrailVerification {
  readonly ok: boolean;
  readonly chains: ChainSummary[];
  /** In trail order: the first is the first place the trail was tampered with. */
  readonly problems: ChainProblem[];
}

const ROW_NAMES: Record<ChainKindName, string> = { usage: 'usage event', audit: 'audit entry' };

/**
 * Re-walks trail lines (`trail-lines.ts`) and names every place they were tampered with, by the
 * same rules as the README's offline check:
 *
 * - a row whose hash is not `sha256(prevHash ‖ row)` was ALTERED (format 2: the row with its
 *   `contentDigest`), and so was one whose content is present but no longer has that digest;
 *   content that retention cleared (`content: null`, `contentPurgedAt` set) is no problem;
 * - a link whose row is gone, or a position skipped in the sequence (or missing at the end),
 *   was DELETED;
 * - a row with no position was INSERTED around the chain;
 * - a row whose `prevHash` is not the hash of the row before it (with no gap to explain it) is
 *   REORDERED; the rows right after it that only follow from that break are not named again;
 * - a checkpoint whose signature fails has a BAD_SIGNATURE, and one whose hash is not the hash
 *   of the row at its position is a CHECKPOINT_MISMATCH.
 */
export async function verifyTrailLines(lines: AsyncIterable<TrailLine>): Promise<TrailVerification> {
  const keys = new Map<string, KeyObject>();
  const problems: ChainProblem[] = [];
  const chains = new Map<
    ChainKindName,
    { anchorSeq: number | null; seq: number; hash: string; broken: boolean; rows: number; checkpoints: number; purged: number }
  >();
  const state = (chain: ChainKindName) => {
    let s = chains.get(chain);
    if (!s) chains.set(chain, (s = { anchorSeq: null, seq: 0, hash: GENESIS_HASH, broken: false, rows: 0, checkpoints: 0, purged: 0 }));
    return s;
  };
  for await (const line of lines) {
    if (line.type === 'keys') {
      for (const k of line.keys) keys.set(k.keyId, createPublicKey({ key: Buffer.from(k.publicKey, 'base64'), format: 'der', type: 'spki' }));
      continue;
    }
    const c = state(line.chain);
    const report = (problem: ChainProblemKind, seq: number | null, rowId: string | null, message: string) =>
      problems.push({ problem, chain: line.chain, seq, rowId, message });
    if (line.type === 'checkpoint') {
      c.checkpoints += 1;
      const key = keys.get(line.keyId);
      const message = Buffer.from(checkpointMessage(line), 'utf8');
      if (!key || !verify(null, message, key, Buffer.from(line.signature, 'base64'))) {
        report('BAD_SIGNATURE', line.seq, null, `The ${line.chain} checkpoint at seq ${line.seq} is not signed by a published key.`);
      }
      if (line.anchor) Object.assign(c, { anchorSeq: line.seq, seq: line.seq, hash: line.hash });
      else if (line.seq === c.seq && line.hash !== c.hash) {
        report('CHECKPOINT_MISMATCH', line.seq, null, `The ${line.chain} chain at seq ${line.seq} no longer has the hash its checkpoint signed.`);
      }
    } else if (line.type === 'row') {
      const what = `${ROW_NAMES[line.chain]} ${line.id}`;
      if (line.seq === null) {
        report('INSERTED', null, line.id, `The ${what} was inserted around the chain: it has no place in it.`);
        continue;
      }
      c.rows += 1;
      const gap = line.seq > c.seq + 1;
      const linked = line.prevHash === c.hash;
      if (gap)
        report(
          'DELETED',
          c.seq + 1,
          line.id,
          `${ROW_NAMES[line.chain]} seq ${c.seq + 1}${line.seq - 1 > c.seq + 1 ? `–${line.seq - 1}` : ''} deleted with its link (before ${what}, seq ${line.seq}).`,
        );
      const digest = line.contentDigest ?? null;
      if (line.format === 2 && line.row !== null && line.content === null) c.purged += 1;
      if (line.row === null) report('DELETED', line.seq, line.id, `The ${what} (seq ${line.seq}) was deleted.`);
      else if (linkHash(line.prevHash!, line.format === 2 ? linkedRow(line.row, digest) : line.row) !== line.hash)
        report('ALTERED', line.seq, line.id, `The ${what} (seq ${line.seq}) was altered: its contents no longer match its hash.`);
      else if (line.format === 2 && line.content && contentDigestOf(line.content) !== digest)
        report('ALTERED', line.seq, line.id, `The ${what} (seq ${line.seq}) was altered: its content no longer matches the digest its link holds.`);
      else if (!gap && !linked && !c.broken)
        report('REORDERED', line.seq, line.id, `The ${what} (seq ${line.seq}) does not follow seq ${c.seq}: the chain was reordered or rewritten here.`);
      Object.assign(c, { seq: line.seq, hash: line.hash!, broken: !linked && !gap });
    } else if (line.seq > c.seq) {
      report(
        'DELETED',
        c.seq + 1,
        null,
        `${ROW_NAMES[line.chain]} seq ${c.seq + 1}${line.seq > c.seq + 1 ? `–${line.seq}` : ''} deleted (the end of the chain).`,
      );
    }
  }
  return {
    ok: problems.length === 0,
    chains: [...chains].map(([chain, s]) => ({
      chain,
      anchorSeq: s.anchorSeq,
      lastSeq: s.seq,
      rowsChecked: s.rows,
      checkpointsChecked: s.checkpoints,
      contentPurged: s.purged,
    })),
    problems,
  };
}
