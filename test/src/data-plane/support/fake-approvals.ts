import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  validateApprovalOutcome,
  validateApprovalRequest,
  type ApprovalDecisionMessage,
  type ApprovalOutcomeMessage,
  type ApprovalRequestMessage,
} from '@keyward/shared';
import { vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';

/** How the fake answers outcome posts: `unavailable` answers 503 (the node keeps them and retries). */
type OutcomeMode = 'accept' | 'unavailable';

/** The control plane's approval endpoints, as a node sees them. */
export interface FakeApprovals {
  readonly url: string;
  /** Requests received, validated with the shared validator, in arrival order. */
  readonly requests: ApprovalRequestMessage[];
  /** Outcomes received, in arrival order. */
  readonly outcomes: { id: string; outcome: ApprovalOutcomeMessage['outcome'] }[];
  /** Authorization headers of every call and subscription. */
  readonly authorizations: string[];
  /** Node ids of the decision subscriptions opened so far. */
  readonly subscriptions: string[];
  /** Sends a decision to the node's subscriptions (and again to later ones until an outcome arrives). */
  decide(approvalId: string, decision: ApprovalDecisionMessage['decision'], reason?: string | null): void;
  /** Waits for the next request matching `predicate` (by default any one not seen by an earlier call). */
  nextRequest(timeoutMs?: number): Promise<ApprovalRequestMessage>;
  /** Waits until an outcome for `approvalId` arrived. */
  outcomeOf(approvalId: string, timeoutMs?: number): Promise<ApprovalOutcomeMessage['outcome']>;
  setOutcomeMode(mode: OutcomeMode): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the control plane's approval protocol (`wire/approvals.ts`): `POST
 * /v1/node/approvals`, `POST /v1/node/approvals/{id}/outcome`, and the graphql-ws subscription
 * `approvalDecisions(nodeId)` spoken by hand (`graphql-transport-ws`). Like the real one it
 * validates what nodes send and re-sends undelivered decisions to each new subscription.
 */
export async function startFakeApprovals(): Promise<FakeApprovals> {
  const requests: ApprovalRequestMessage[] = [];
  const outcomes: FakeApprovals['outcomes'] = [];
  const authorizations: string[] = [];
  const subscriptions: string[] = [];
  const decisions = new Map<string, ApprovalDecisionMessage>();
  const sinks = new Set<{ nodeId: string; send: (message: ApprovalDecisionMessage) => void }>();
  let outcomeMode: OutcomeMode = 'accept';
  let taken = 0;

  const server = createServer((req, res) => void handleHttp(req, res));
  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    authorizations.push(String(req.headers.authorization ?? ''));
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, { error: { code: 'INVALID_JSON', message: 'not JSON' } });
    }
    if (req.method === 'POST' && req.url === '/v1/node/approvals') {
      try {
        const message = validateApprovalRequest(body);
        if (requests.some((r) => r.id === message.id)) return send(409, { error: { code: 'CONFLICT', message: 'already stored' } });
        requests.push(message);
        return send(201, { id: message.id });
      } catch (err) {
        return send(400, { error: { code: 'INVALID_APPROVAL_REQUEST', message: (err as Error).message } });
      }
    }
    const outcome = /^\/v1\/node\/approvals\/([^/]+)\/outcome$/.exec(req.url ?? '');
    if (req.method === 'POST' && outcome) {
      if (outcomeMode === 'unavailable') return send(503, { error: { code: 'UNAVAILABLE', message: 'database unavailable' } });
      try {
        outcomes.push({ id: outcome[1], outcome: validateApprovalOutcome(body).outcome });
        return send(200, { ok: true });
      } catch (err) {
        return send(400, { error: { code: 'INVALID_APPROVAL_OUTCOME', message: (err as Error).message } });
      }
    }
    send(404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
  }

  const wss = new WebSocketServer({ server, path: '/graphql' });
  wss.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: Record<string, unknown> };
      if (message.type === 'connection_init') {
        authorizations.push(String((message.payload as { authorization?: string } | undefined)?.authorization ?? ''));
        socket.send(JSON.stringify({ type: 'connection_ack' }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'subscribe') {
        const id = message.id!;
        const nodeId = String((message.payload as { variables?: { nodeId?: string } }).variables?.nodeId ?? '');
        subscriptions.push(nodeId);
        const sink = {
          nodeId,
          send: (decision: ApprovalDecisionMessage) => {
            if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'next', id, payload: { data: { approvalDecisions: decision } } }));
          },
        };
        sinks.add(sink);
        socket.on('close', () => sinks.delete(sink));
        for (const decision of decisions.values()) {
          const request = requests.find((r) => r.id === decision.approvalId);
          if (request?.nodeId === nodeId && !outcomes.some((o) => o.id === decision.approvalId)) sink.send(decision);
        }
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    outcomes,
    authorizations,
    subscriptions,
    decide(approvalId, decision, reason = null) {
      const message: ApprovalDecisionMessage = {
        approvalId,
        decision,
        reason,
        decidedBy: decision === 'expired' ? null : 'user:0190a5d0-0000-7000-8000-000000000001',
      };
      decisions.set(approvalId, message);
      const nodeId = requests.find((r) => r.id === approvalId)?.nodeId;
      for (const sink of sinks) if (sink.nodeId === nodeId) sink.send(message);
    },
    async nextRequest(timeoutMs = 5_000) {
      const index = taken;
      const request = await vi.waitFor(
        () => {
          const found = requests[index];
          if (!found) throw new Error('no approval request yet');
          return found;
        },
        { timeout: timeoutMs, interval: 10 },
      );
      taken = index + 1;
      return request;
    },
    outcomeOf(approvalId, timeoutMs = 5_000) {
      return vi.waitFor(
        () => {
          const found = outcomes.find((o) => o.id === approvalId);
          if (!found) throw new Error(`no outcome yet for ${approvalId}`);
          return found.outcome;
        },
        { timeout: timeoutMs, interval: 10 },
      );
    },
    setOutcomeMode(mode) {
      outcomeMode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
