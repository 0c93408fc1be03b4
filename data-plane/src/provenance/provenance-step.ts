import { fleetNow } from '../clock/fleet-clock.js';
/**
 * The first enforcement step: the request's HDP delegation token (`X-HDP-Token`). A present
 * token must verify against the organization's trusted keys and allow what the request does
 * (its tools, sending to a provider); an absent one is recorded as absent, and refused when the
 * key requires provenance. A refusal is a `GatewayError` `hdp_<reason>`: 400 for a header that
 * cannot be read, 401 for a token that proves nothing, 403 for a scope that does not allow it.
 */
import { HDP_HEADER, hdpScopeRefusal, refusalStatus, refuse, type HdpToken, type ProvenanceRefusal } from '@keyward/shared';
import { GatewayError } from '../errors.js';
import type { EnforcementContext, EnforcementStep, EnforcementVerdict } from '../steps/contract.js';
import type { SharedTokenSessions } from './shared-token-sessions.js';
import { VerifiedTokens } from './verified-tokens.js';

/** The header an agent may name its current session in; a token of another session is refused. */
const SESSION_HEADER = 'x-hdp-session';
const TOOLS_ONLY = { messages: false, systemText: false, toolsOffered: true, toolCalls: false } as const;

/** Options of the provenance step. */
export interface ProvenanceStepOptions {
  /** Milliseconds since the epoch (tests move it). */
  readonly now?: () => number;
  /** Verified tokens kept per node. */
  readonly maxCachedTokens?: number;
  /** Token ids' sessions shared between nodes (Redis); without it each node checks its own. */
  readonly sharedSessions?: SharedTokenSessions | null;
}

/** Creates the step; its cache of verified tokens lives as long as the node. */
export function createProvenanceStep(options: ProvenanceStepOptions = {}): EnforcementStep {
  const tokens = new VerifiedTokens(options.maxCachedTokens);
  const now = options.now ?? fleetNow;
  return {
    name: 'provenance',
    before(ctx) {
      const header = ctx.headers[HDP_HEADER];
      if (header === undefined) {
        ctx.provenance.result = 'absent';
        return ctx.key.requireProvenance ? refusal(ctx, refuse('required', 'This key requires an HDP delegation token in the X-HDP-Token header.')) : undefined;
      }
      const at = now();
      const verification = tokens.verify(ctx.org, header, at, ctx.headers[SESSION_HEADER]);
      if (!verification.ok) return refusal(ctx, verification);
      const { token } = verification;
      const accept = () => {
        tokens.accepted(ctx.org, token, at);
        return withinScope(ctx, token);
      };
      const shared = options.sharedSessions;
      if (!shared) return accept();
      // Another node may have seen the token id first, in another session: one round trip per id.
      return shared.check(ctx.org.id, token, at).then((replayed) => (replayed ? refusal(ctx, replayed) : accept()));
    },
  };
}

/** Records a verified token, refusing the request when it does what the token's scope does not allow. */
function withinScope(ctx: EnforcementContext, token: HdpToken): EnforcementVerdict | undefined {
  ctx.provenance.token = token;
  const tools = ctx.operation.request.extract(ctx.body, TOOLS_ONLY).toolsOffered;
  const outOfScope = hdpScopeRefusal(token.scope, { tools, egress: true });
  if (outOfScope) return refusal(ctx, outOfScope);
  ctx.provenance.result = 'valid';
  return undefined;
}

function refusal(ctx: EnforcementContext, refused: ProvenanceRefusal): EnforcementVerdict {
  ctx.provenance.result = refused.reason;
  const code = `hdp_${refused.reason}` as const;
  // The code closes the message too, for API families whose error shape has no code field.
  const message = `${refused.message.charAt(0).toUpperCase()}${refused.message.slice(1).replace(/\.$/, '')} (${code}).`;
  return { action: 'deny', decision: 'denied', error: new GatewayError(code, refusalStatus(refused.reason), message) };
}
