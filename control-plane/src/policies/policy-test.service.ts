import { testPolicy, type PhaseTestResult, type PolicyDocument, type SampleRequest } from '@keyward/shared';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import type { PolicySampleInput, PolicySampleToolCallInput, TestPolicyInput } from './policy.input.js';
import { findPolicy, policySourceOf } from './policy.service.js';
import { checkPolicySource, invalidPolicy } from './policy-source.js';
import type { PolicyPhaseTestType, PolicyTestResultType } from './policy-test.type.js';

/**
 * Runs a policy (unsaved text, or a stored version) against a sample request for the console's
 * test panel: every rule's result with its reason, and the decision the policy alone makes.
 * `timeOfDay` conditions without a zone use the organization's time zone, as nodes do. Nothing
 * is stored or published.
 */
export async function runPolicyTest(ctx: GraphQLContext, input: TestPolicyInput): Promise<PolicyTestResultType> {
  const orgId = orgOf(ctx);
  const hasSource = input.source != null;
  const hasPolicy = input.policyId != null;
  if (hasSource === hasPolicy) throw new AppError('BAD_USER_INPUT', 'Give exactly one of input.source and input.policyId.');
  if (hasSource && input.version != null) throw new AppError('BAD_USER_INPUT', 'input.version goes with input.policyId, not with input.source.');
  let document: PolicyDocument;
  if (hasSource) {
    document = checkPolicySource(input.source!, input.format).document;
  } else {
    const policy = await findPolicy(ctx.em, input.policyId!);
    document = (await policySourceOf(ctx.em, policy, input.version ?? policy.currentVersion)).document;
  }
  const org = await ctx.em.findOne(Organization, { id: orgId }, { fields: ['settings'] });
  const defaultTimeZone = org?.settings.timeZone ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone;
  const result = testPolicy(document, toSample(input.sample), { defaultTimeZone });
  if (!result.ok) throw invalidPolicy(result.errors, 'The sample request is not valid');
  return { request: phaseOf(result.request), response: result.response ? phaseOf(result.response) : null };
}

/** The GraphQL sample in the shape of the policy module's `SampleRequest`; the module checks every field. */
function toSample(sample: PolicySampleInput): SampleRequest {
  const out: Record<string, unknown> = {};
  const set = (name: string, value: unknown) => {
    if (value !== null && value !== undefined) out[name] = value;
  };
  set('provider', sample.provider);
  set('api', sample.api);
  set('endpoint', sample.endpoint);
  set('model', sample.model);
  set(
    'messages',
    sample.messages?.map((m) => ({ role: m.role, text: m.text })),
  );
  set('systemText', sample.system);
  set('toolsOffered', sample.tools);
  set('toolCalls', sample.toolCalls ? toolCalls(sample.toolCalls) : undefined);
  set('headers', sample.headers);
  set('keyLabels', sample.keyLabels);
  set('keyMetadata', sample.keyMetadata);
  set('estimatedInputTokens', sample.estimatedInputTokens);
  set('maxOutputTokens', sample.maxOutputTokens);
  set('estimatedCostMicros', sample.estimatedCostMicros);
  set('now', sample.now);
  if (sample.response) {
    out.response = {
      ...(sample.response.text != null ? { text: sample.response.text } : {}),
      ...(sample.response.toolCalls ? { toolCalls: toolCalls(sample.response.toolCalls) } : {}),
    };
  }
  return out as SampleRequest;
}

function toolCalls(calls: readonly PolicySampleToolCallInput[]) {
  return calls.map((c) => ({ name: c.name, arguments: c.arguments ?? {} }));
}

function phaseOf(phase: PhaseTestResult): PolicyPhaseTestType {
  const d = phase.decision;
  return {
    rules: phase.rules.map((r) => ({ ...r })),
    decision: {
      action: d.action,
      block: d.block ?? null,
      hold: d.hold ?? null,
      redact: d.redact.map(({ policyId: _policyId, ...spec }) => spec),
      tags: [...d.tags],
      matches: d.matches.map((m) => ({ ruleId: m.ruleId, action: m.action, shadow: m.shadow })),
      shadow: d.shadow,
    },
  };
}
