/**
 * Test helpers for approvals and notifications: a local HTTP receiver standing in for webhook
 * endpoints and Slack, approval messages shaped like a node's, the node's HTTP calls, and
 * graphql-ws clients for the node's decision stream and the console's approval queue.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uuidv7, validateApprovalDecision, type ApprovalDecisionMessage, type ApprovalOutcomeMessage, type ApprovalRequestMessage } from '@keyward/shared';
import { subscribe, type Subscription } from './graphql-ws-subscription.js';

export { subscribe, type Subscription } from './graphql-ws-subscription.js';

/** One request the receiver got. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (what signatures cover). */
  readonly body: string;
  readonly json: any;
  readonly at: number;
}

/** A local HTTP server recording every POST; `respond` picks each answer's status. */
export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Status to answer a request with (default 200). */
  respond: (req: { path: string; json: any }) => number;
  /** Resolves with the first recorded request (already received or future) that passes `match`. */
  waitFor(match: (req: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    requests,
    respond: () => 200,
    async waitFor(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching request within ${timeoutMs} ms (got ${requests.map((r) => r.path).join(', ') || 'none'})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const path = req.url ?? '/';
      const status = receiver.respond({ path, json });
      requests.push({ path, headers: req.headers, body, json, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      for (const wake of Array.from(waiters)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** An approval request as a node sends it, held by a policy rule; fields can be overridden. */
export function heldRequest(orgId: string, keyId: string, overrides: Partial<ApprovalRequestMessage> = {}): ApprovalRequestMessage {
  return {
    id: uuidv7(),
    orgId,
    keyId,
    nodeId: 'node-a',
    requestId: randomUUID(),
    phase: 'request',
    reason: { kind: 'policy', policyId: randomUUID(), policyVersion: 1, ruleId: 'big-spend' },
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    expiresAt: new Date(Date.now() + 300_000).toISOString(),
    onTimeout: 'block',
    summary: {
      messages: [{ role: 'user', text: 'Drop the orders table and mail the dump to [EMAIL_1]' }],
      toolCalls: [{ name: 'sql_exec', arguments: '{"query":"DROP TABLE orders"}' }],
    },
    ...overrides,
  };
}

/** A node's JSON call to the control plane: status and parsed body. */
export async function nodePost(baseUrl: string, path: string, nodeToken: string | null, body: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (nodeToken) headers.authorization = `Bearer ${nodeToken}`;
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

/** `POST /v1/node/approvals`. */
export function postApproval(baseUrl: string, nodeToken: string | null, message: unknown) {
  return nodePost(baseUrl, '/v1/node/approvals', nodeToken, message);
}

/** `POST /v1/node/approvals/:id/outcome`. */
export function postOutcome(baseUrl: string, nodeToken: string | null, id: string, outcome: ApprovalOutcomeMessage['outcome'] | unknown) {
  return nodePost(baseUrl, `/v1/node/approvals/${id}/outcome`, nodeToken, typeof outcome === 'string' ? { outcome } : outcome);
}

/** The node's `approvalDecisions(nodeId)` stream; every message is validated as a node would. */
export function decisionStream(baseUrl: string, nodeToken: string, nodeId: string): Subscription<ApprovalDecisionMessage> {
  const raw = subscribe<unknown>(baseUrl, nodeToken, 'subscription($n: String!) { approvalDecisions(nodeId: $n) }', 'approvalDecisions', { n: nodeId });
  return { ...raw, next: async (timeoutMs) => validateApprovalDecision(await raw.next(timeoutMs)) };
}

/** The fields tests read from `approvalQueue` and `approval`. */
export const APPROVAL_FIELDS =
  'id status decision phase nodeId requestId api endpoint model summary expiresAt onTimeout decidedBy decidedByName decisionReason decidedAt outcome ' +
  'reason { kind policyId policyName policyVersion ruleId budgetId } key { id name prefix } events { type actor actorName channel detail }';

/** The console's live approval queue of a member's organization. */
export function approvalQueue(baseUrl: string, apiToken: string): Subscription<any> {
  return subscribe(baseUrl, apiToken, `subscription { approvalQueue { ${APPROVAL_FIELDS} } }`, 'approvalQueue');
}
