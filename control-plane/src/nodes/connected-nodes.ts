/** Something that can be ended from the server side (a node's config stream). */
export interface Closable {
  close(): void;
}

/**
 * Which nodes hold an open config stream on this control plane, by node token. Used for the
 * `connected` flag of the nodes list and to end a revoked token's streams at once.
 */
export class ConnectedNodes {
  private readonly streams = new Map<string, Map<Closable, string>>();

  /** Records an open stream; the returned function forgets it. */
  add(tokenId: string, nodeId: string, stream: Closable): () => void {
    let byStream = this.streams.get(tokenId);
    if (!byStream) {
      byStream = new Map();
      this.streams.set(tokenId, byStream);
    }
    byStream.set(stream, nodeId);
    return () => {
      byStream.delete(stream);
      if (byStream.size === 0 && this.streams.get(tokenId) === byStream) this.streams.delete(tokenId);
    };
  }

  /** Whether the node (by token and its own id) has a stream open now. */
  isConnected(tokenId: string, nodeId: string): boolean {
    for (const id of this.streams.get(tokenId)?.values() ?? []) if (id === nodeId) return true;
    return false;
  }

  /** Ends every stream opened with a token. */
  closeToken(tokenId: string): void {
    // A copy: closing a stream removes it from the map.
    for (const stream of Array.from(this.streams.get(tokenId)?.keys() ?? [])) stream.close();
  }
}
