import type { McpServerConfig } from '@keyward/shared';
import type { Ticket } from '../limits/index.js';
import type { Gateway } from '../pipeline/gateway.js';
import type { RequestRecord } from '../pipeline/record.js';
import { McpRefusal, RPC_ERRORS, type JsonRpcId } from './json-rpc.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** What a tool call costs and reserved: settled with its price once the server answered, released otherwise. */
export interface ToolCharge {
  /** Null when no budget or rate limit applies: the price is still the call's cost in its event. */
  readonly ticket: Ticket | null;
  readonly costMicros: number;
}

/**
 * Admits a `tools/call` like a model call: the tool's price (its `costMicros`) is reserved on
 * every budget of the key's organization, team, pool and key, and its `callsPerMinute` is a
 * requests-per-minute limit of the key for that tool. Refusals are JSON-RPC errors for the call.
 * Returns null when no price or limit applies. A priced call is its price in its event whether or
 * not a budget counts it, so the spend a budget created later starts from includes it.
 */
export async function admitToolCall(
  gw: Gateway,
  record: RequestRecord,
  server: McpServerConfig,
  tool: string,
  id: JsonRpcId | null,
): Promise<ToolCharge | null> {
  const key = record.key!;
  const org = record.org!;
  const settings = server.tools?.find((t) => t.name === tool);
  const costMicros = settings?.costMicros ?? 0;
  const rateLimits = settings?.callsPerMinute
    ? [{ id: `mcp:${server.id}:${tool}:${key.id}`, orgId: org.id, scope: { kind: 'key' as const, id: key.id }, requestsPerMinute: settings.callsPerMinute }]
    : [];
  if (rateLimits.length === 0 && costMicros === 0) return null;
  // The organization's budgets as the model path sees them: seeded with the spend they arrived with.
  const budgets = costMicros > 0 ? (await gw.limits.of(org.id)).budgets : [];
  if (rateLimits.length === 0 && budgets.length === 0) return { ticket: null, costMicros };
  const admission = await gw.limiter.admit({
    orgId: org.id,
    teamId: key.teamId,
    keyId: key.id,
    poolId: key.poolId ?? null,
    now: fleetNow(),
    timeZone: org.timeZone,
    failMode: org.limiterFailMode,
    budgets,
    rateLimits,
    reserveMicros: costMicros,
    reserveTokens: 0,
  });
  if (admission.ok) return { ticket: admission.ticket, costMicros };
  switch (admission.reason) {
    case 'rate_limited':
      throw new McpRefusal(
        200,
        RPC_ERRORS.refused,
        `This Keyward key may call the tool "${tool}" of MCP server "${server.name}" ${admission.limit} times a minute; retry in ${admission.retryAfterSeconds ?? 60} s.`,
        'rate_limited',
        id,
        'rate_limited',
      );
    case 'budget_exceeded':
      throw new McpRefusal(
        200,
        RPC_ERRORS.refused,
        `A call of the tool "${tool}" of MCP server "${server.name}" costs ${costMicros} micro-dollars, and a ${admission.scope.kind} budget has ` +
          `${Math.max(0, admission.limitMicros - admission.spentMicros - admission.reservedMicros)} of ${admission.limitMicros} left this period.`,
        'budget_exceeded',
        id,
        'budget_exceeded',
      );
    default:
      throw new McpRefusal(200, RPC_ERRORS.refused, admission.message, 'limiter_unavailable', id, 'error');
  }
}

/** Settles a call the server answered at its price (the tool ran, whatever it returned), or releases one it never answered. */
export async function settleToolCall(gw: Gateway, charge: ToolCharge, record: RequestRecord): Promise<void> {
  if (record.ttftMs === null) return charge.ticket ? gw.limiter.release(charge.ticket) : undefined;
  record.costMicros = charge.costMicros;
  if (charge.ticket) await gw.limiter.settle(charge.ticket, { costMicros: charge.costMicros, tokens: 0 });
}
