import type { Logger } from '../observability/logger.js';

/**
 * The control planes a node may use (`KEYWARD_CONTROL_PLANE_URL`: one URL, possibly a load
 * balancer's, or several separated by commas) and the one it uses now. Every call and stream to
 * the control plane reads `current`; one that could not reach it reports `unreachable`, which
 * moves every caller on to the next URL, round the list. State lives in the control planes'
 * database, so any of them serves a node the same: its config stream resumes from the version it
 * holds, and its decision stream gets every decision it has not acted on.
 */
export class ControlPlaneEndpoints {
  private index = 0;

  constructor(
    readonly urls: readonly string[],
    private readonly log?: Logger,
  ) {
    if (urls.length === 0) throw new Error('ControlPlaneEndpoints needs at least one URL');
  }

  /** The base URL in use (http or https, no trailing slash). */
  get current(): string {
    return this.urls[this.index]!;
  }

  /** A call to `url` failed to reach it: the next URL becomes current, unless another caller moved on already. */
  unreachable(url: string): void {
    if (this.urls.length < 2 || this.urls[this.index] !== url) return;
    this.index = (this.index + 1) % this.urls.length;
    this.log?.warn({ from: url, to: this.current }, 'control plane unreachable; switching to the next one');
  }
}
