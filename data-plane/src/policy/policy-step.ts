import { createRedactor, PolicyCompileError, type Decision, type PolicyDecision } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { GatewayError } from '../errors.js';
import type { EnforcementContext, EnforcementStep, EnforcementVerdict } from '../steps/contract.js';
import { EXTRACT_ALL, type RequestCodec } from '../providers/index.js';
import { guardFilter } from './guard-filter.js';
import { redactionHashKeys } from './hash-keys.js';
import { holdPolicyDecision, type HoldDeps } from './holds.js';
import { addTags, recordMatches } from './matches.js';
import type { PolicySets } from './policy-sets.js';
import { buildRequestContext } from './request-context.js';
import { restoreFilter } from './restore-filter.js';
import { requestSummary } from './summary.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** What the policy step needs from the node. */
export interface PolicyStepOptions extends HoldDeps {
  readonly sets: PolicySets;
  /** The config being served. */
  readonly view: () => ConfigView | null;
  /**
   * Secret from which each organization's key for `hash` redactions is derived (the key
   * pepper), so hashed values are stable across nodes and cannot be recomputed outside.
   */
  readonly hashSecret: Buffer;
  /** The clock time-of-day conditions read (tests pin it). */
  readonly now?: () => Date;
}

const deny = (error: GatewayError, decision: Decision): EnforcementVerdict => ({ action: 'deny', error, decision });

/**
 * The request-policy step of the enforcement chain (after limits, before the upstream call).
 * For a key with policies it builds the request's context (parsing only what the rules read),
 * evaluates the request rules and then: `block` → the rule's status and message in the API's
 * error shape; `hold` → waits for an approval (see `holdPolicyDecision`); `redact` → rewrites
 * the texts of the body before it leaves, with a filter that restores originals in the answer
 * when asked; `log` → tags. Keys with response rules get a filter that inspects the answer.
 * Every matched rule (shadow ones included) is recorded on the request's event.
 */
export function createPolicyStep(options: PolicyStepOptions): EnforcementStep {
  const hashKey = redactionHashKeys(options.hashSecret);

  return {
    name: 'policies',
    async before(ctx) {
      const view = options.view();
      if (!view) return;
      const set = options.sets.forKey(view, ctx.key, ctx.org.timeZone);
      if (set === null) return;
      if (set instanceof PolicyCompileError) {
        return deny(
          new GatewayError('policy_unavailable', 503, 'A policy that applies to this key could not be loaded; an administrator needs to correct it.'),
          'error',
        );
      }
      const { request: codec, answers } = ctx.operation;
      const request = buildRequestContext(ctx, set.needs, options.now?.() ?? new Date(fleetNow()));
      const decision = set.evaluateRequest(request);
      recordMatches(ctx.policy, decision.matches, 'request');
      addTags(ctx.tags, decision.tags);

      if (decision.action === 'block') return deny(new GatewayError('blocked', decision.block!.status, decision.block!.message), 'blocked');
      if (decision.action === 'hold') {
        const held = await holdPolicyDecision(options, ctx, ctx.connection, 'request', decision, requestSummary(ctx));
        if (!held.proceed) return deny(held.error, held.decision);
        if (held.decision) ctx.decision = held.decision;
        if (held.tag) addTags(ctx.tags, [held.tag]);
      }

      const restorable = redact(ctx, codec, decision, hashKey(ctx.org.id));
      if (restorable) ctx.responseFilters.push(restoreFilter(answers, restorable));
      if (set.needs.responseRules) {
        const history = () => codec.extract(ctx.body, EXTRACT_ALL).messages;
        ctx.responseFilters.push(guardFilter({ set, request, codec: answers, ctx, connection: ctx.connection, holds: options, history }));
      }
    },
  };
}

/**
 * Applies the decision's redactions to the body's texts. Returns the placeholders to restore
 * in the answer, or null when there are none.
 */
function redact(ctx: EnforcementContext, codec: RequestCodec, decision: PolicyDecision, hashKey: Buffer): ReadonlyMap<string, string> | null {
  if (decision.redact.length === 0) return null;
  const redactor = createRedactor(decision.redact, { hashKey });
  const body = codec.mapTexts(ctx.body, (text) => redactor.redact(text));
  if (body === ctx.body) return null;
  ctx.body = body;
  if (ctx.decision === 'allowed') ctx.decision = 'redacted';
  return redactor.restores && redactor.mapping.restorable.size > 0 ? redactor.mapping.restorable : null;
}
