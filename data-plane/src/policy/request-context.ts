import type { AnomalyFacts, AnomalyScore, PolicyNeeds, ProvenanceFacts, RequestContext } from '@keyward/shared';
import type { EnforcementContext, ProvenanceTrail } from '../steps/contract.js';
import { maxCostOf } from '../estimate/max-cost.js';
import type { ExtractNeeds, ExtractedRequest } from '../providers/index.js';

const NONE: ExtractedRequest = { messages: [], systemText: '', toolsOffered: [], toolCalls: [] };
const HEADER_PREFIX = 'x-keyward-';

/** What to read from the body for a policy set's needs. */
function extractNeeds(needs: PolicyNeeds): ExtractNeeds {
  return {
    messages: needs.promptText,
    systemText: needs.systemText,
    toolsOffered: needs.toolsOffered,
    toolCalls: needs.toolCalls,
  };
}

/** The agent's `x-keyward-*` headers (names are already lower case). */
export function keywardHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) if (name.startsWith(HEADER_PREFIX)) out[name] = headers[name];
  return out;
}

/**
 * Builds the policy language's view of a request, parsing only what the compiled set reads
 * (`needs`). Input tokens and cost are the figures budgets reserve (`maxCostOf`): the prompt
 * estimated with the shared tokenizer, plus the requested output limit or the model's default
 * one, at the organization's or the built-in price (0 for an unknown model), so a cost rule and
 * a budget judge a request alike. Tokenizing is the costly part (about 150 µs for 4 KB), done
 * only for sets with a token or cost condition. Keys carry no metadata of their own in the
 * config, so `keyMetadata` conditions read the key's labels.
 */
export function buildRequestContext(ctx: EnforcementContext, needs: PolicyNeeds, now: Date): RequestContext {
  const want = extractNeeds(needs);
  const extracted = want.messages || want.systemText || want.toolsOffered || want.toolCalls ? ctx.operation.request.extract(ctx.body, want) : NONE;
  const cost = needs.estimatedInputTokens || needs.estimatedCostMicros ? maxCostOf(ctx.operation, ctx.body, ctx.model, ctx.org, ctx.translatedOutputCap) : null;
  return {
    provider: ctx.candidates[0]?.provider ?? (ctx.api === 'openai' ? 'openai' : ctx.api),
    api: ctx.api,
    endpoint: ctx.endpoint,
    model: ctx.model,
    keyLabels: ctx.key.labels,
    keyMetadata: ctx.key.labels,
    headers: needs.headers ? keywardHeaders(ctx.headers) : {},
    messages: extracted.messages,
    systemText: extracted.systemText,
    toolsOffered: extracted.toolsOffered,
    toolCalls: extracted.toolCalls,
    estimatedInputTokens: cost?.inputTokens ?? 0,
    maxOutputTokens: needs.maxOutputTokens ? ctx.operation.maxOutputTokens(ctx.body) : null,
    estimatedCostMicros: cost?.micros ?? 0,
    now,
    provenance: provenanceFacts(ctx.provenance),
    anomaly: needs.anomaly && ctx.anomalyPreview ? anomalyFacts(ctx.anomalyPreview()) : null,
  };
}

function anomalyFacts(score: AnomalyScore): AnomalyFacts {
  return { score: score.score, reasons: score.reasons.map((r) => r.code) };
}

/** The HDP facts of the request, as the provenance step (which runs first) left them. */
function provenanceFacts(trail: ProvenanceTrail): ProvenanceFacts | null {
  if (trail.result === 'unchecked') return null;
  const token = trail.token;
  return {
    result: trail.result,
    principalId: token?.principal.id ?? null,
    principalType: token?.principal.idType ?? null,
    intent: token?.scope.intent ?? null,
    classification: token?.scope.dataClassification ?? null,
    hopCount: token?.chain.length ?? 0,
    agentIds: token?.chain.map((hop) => hop.agentId) ?? [],
  };
}
