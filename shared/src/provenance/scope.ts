/**
 * Whether a verified token's scope allows a request: every tool the request offers the model is
 * named in `authorized_tools` (a token without the list authorizes none), and a request that
 * leaves for a provider needs `network_egress`.
 */
import { refuse, type ProvenanceRefusal } from './reasons.js';
import type { HdpScope } from './token.js';

/** What the request would do, as far as the scope speaks of it. */
export interface HdpScopedRequest {
  /** Names of the tools the request declares. */
  readonly tools: readonly string[];
  /** Whether the request is sent over the network to a provider. */
  readonly egress: boolean;
}

/** Null when the scope allows the request, else the refusal. */
export function hdpScopeRefusal(scope: HdpScope, request: HdpScopedRequest): ProvenanceRefusal | null {
  const authorized = new Set(scope.authorizedTools ?? []);
  const outside = request.tools.filter((tool) => !authorized.has(tool));
  if (outside.length > 0) {
    return refuse('tool_unauthorized', `tool ${JSON.stringify(outside[0])} is outside the HDP token's authorized_tools`);
  }
  if (request.egress && !scope.networkEgress) {
    return refuse('egress_forbidden', `the HDP token forbids network egress for ${scope.dataClassification} data, so the request is not sent to a provider`);
  }
  return null;
}
