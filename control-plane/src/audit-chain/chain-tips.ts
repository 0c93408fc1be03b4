/** Where a chain ends: its last position and hash (hex, and the 32 raw bytes the next link hashes). */
export interface ChainTip {
  readonly seq: number;
  readonly hash: string;
  readonly digest: Buffer;
}

/** Organizations whose tips are kept; past it the guesses start over (each organization pays one miss). */
const MAX_TIPS = 10_000;

/**
 * Where this process expects each organization's usage chain to end when its next batch takes
 * the chain's head: after the last batch it linked, counting batches still in flight. Ingestion
 * hashes a batch onto these tips before it takes any lock, and the statement that locks the heads
 * writes the links only where the head is the tip guessed. A wrong guess (another control plane
 * appended, a batch rolled back, the process just started) costs the hashing again under the
 * lock, never a wrong link.
 */
export class ChainTips {
  private readonly tips = new Map<string, ChainTip>();

  get(orgId: string): ChainTip | undefined {
    return this.tips.get(orgId);
  }

  set(orgId: string, tip: ChainTip): void {
    if (this.tips.size >= MAX_TIPS && !this.tips.has(orgId)) this.tips.clear();
    this.tips.set(orgId, tip);
  }
}
