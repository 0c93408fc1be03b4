import type { KeyFieldsFragment, UsageEventFieldsFragment } from '@/gql/graphql';
import type { SessionViewer } from '@/session/session';

let sequence = 0;

/** A usage event for tests, with sensible values and any field overridden. */
export function usageEvent(overrides: Partial<UsageEventFieldsFragment> = {}): UsageEventFieldsFragment {
  sequence += 1;
  return {
    id: `evt_${sequence}`,
    keyId: 'key_1',
    keyPrefix: 'kw_AbC12',
    ownerLabel: 'support-bot',
    teamId: 'team_1',
    provider: 'OPENAI',
    credentialId: 'cred_1',
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    stream: true,
    status: 200,
    decision: 'ALLOWED',
    errorCode: null,
    startedAt: new Date(Date.UTC(2026, 10, 23, 12, 0, sequence)).toISOString(),
    receivedAt: new Date(Date.UTC(2026, 10, 23, 12, 0, sequence)).toISOString(),
    latencyMs: 840,
    ttftMs: 210,
    inputTokens: 1200,
    outputTokens: 300,
    cachedInputTokens: 0,
    costMicros: 425,
    clientIpHash: 'ip-hash',
    userAgentHash: 'ua-hash',
    requestId: `req_${sequence}`,
    nodeId: 'node-a',
    tags: [],
    policyMatches: [],
    approvalId: null,
    routeId: null,
    attempts: [],
    traceId: null,
    cacheHit: false,
    userAgentFamilyHash: 'ua-family-hash',
    toolsOffered: [],
    anomalyScore: 0,
    anomalyReasons: [],
    anomalyAction: null,
    mcpServer: null,
    mcpTool: null,
    resultBytes: null,
    hdpResult: null,
    hdpTokenId: null,
    hdpPrincipalId: null,
    hdpPrincipalType: null,
    hdpChain: [],
    gatewayMs: 30,
    upstreamTtfbMs: 180,
    streamMs: 630,
    meta: [],
    metaDropped: 0,
    contentPurgedAt: null,
    content: null,
    ...overrides,
  };
}

/** A key as the keys list returns it. */
export function key(overrides: Partial<KeyFieldsFragment> = {}): KeyFieldsFragment {
  sequence += 1;
  return {
    id: `key_${sequence}`,
    name: `agent-${sequence}`,
    prefix: 'kw_Xy9Qa',
    status: 'ACTIVE',
    ownerLabel: 'support-bot',
    team: null,
    createdAt: '2026-11-01T00:00:00Z',
    lastUsedAt: null,
    expiresAt: null,
    rotatedAt: null,
    allowedModels: [],
    credentialIds: [],
    mcpAccess: [],
    cache: null,
    graceSecrets: [],
    usage: { requests: 0, costMicros: 0 },
    frozenAt: null,
    frozenReason: null,
    heldAt: null,
    heldReason: null,
    ...overrides,
  };
}

/** A signed-in viewer whose role grants exactly `permissions`. */
export function viewer(permissions: string[], overrides: Partial<SessionViewer> = {}): SessionViewer {
  return {
    user: { id: 'user_1', name: 'Ada Lovelace', email: 'ada@example.com' },
    role: 'DEVELOPER',
    permissions,
    organization: {
      id: 'org_1',
      name: 'Acme',
      slug: 'acme',
      deletionDueAt: null,
      deletionGraceDays: 14,
      settings: { timeZone: 'UTC', contentCapture: false, retentionDays: 30, limiterFailMode: 'CLOSED' },
    },
    organizations: [{ role: 'DEVELOPER', organization: { id: 'org_1', name: 'Acme' } }],
    ...overrides,
  };
}
