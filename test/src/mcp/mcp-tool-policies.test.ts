import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from '../console/support/browser.js';
import { dialog, openScreen, signIn } from '../console/support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from '../console/support/console-system.js';
import { eventually } from '../support/system.js';
import { startToolServer, type ToolServer } from './support/tool-server.js';

/** The organization's rules for agents' tool calls. */
const POLICY = {
  name: 'Agents and the records server',
  rules: [
    {
      id: 'audit-log-is-append-only',
      on: 'tool_call',
      when: { toolCall: { args: [{ path: '$.table', eq: 'audit_log' }] } },
      action: { type: 'block', message: 'The audit log is append-only.' },
    },
    {
      id: 'deletes-need-a-person',
      on: 'tool_call',
      when: { all: [{ mcpServer: 'records' }, { tool: 'delete_*' }] },
      action: { type: 'hold', timeoutSeconds: 300 },
    },
    { id: 'no-emails-to-tools', on: 'tool_call', when: { toolArguments: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'] } },
    {
      id: 'no-live-keys-back',
      on: 'tool_result',
      when: { toolResult: { regex: 'sk_live_[A-Za-z0-9]{16}' } },
      action: { type: 'redact', patterns: [{ name: 'STRIPE_KEY', regex: 'sk_live_[A-Za-z0-9]{16,}' }] },
    },
    { id: 'tag-reads', on: 'tool_call', when: { tool: 'read_*' }, action: { type: 'log', tags: ['config-read'] } },
  ],
};

/**
 * The MCP gateway as the "done when" describes it: a real agent (the official SDK's
 * client) calls a real MCP server (the same SDK's server) through Keyward; it sees only the
 * tools its key allows, a destructive call waits for a person who approves it on the console's
 * Approvals screen in a real browser, a rejected one never reaches the server, a secret in a
 * tool's result is redacted, and every call is in the events with its decision.
 */
describe('tool policies on an MCP server, with approvals from the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let approver: ConsolePage;
  let tools: ToolServer;
  let agent: Client;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    // Keep-alives every 200 ms, so the held call's progress notifications show within the test.
    world = await startConsoleSystem(inject('pgAdminUrl'), { dataPlaneEnv: { KEYWARD_HOLD_KEEPALIVE_SECONDS: '0.2' } });
    const { system } = world;
    tools = await startToolServer();
    const server = await system.owner.gql(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`, {
      input: { name: 'records', url: tools.url, credential: { bearerToken: 'mcp-upstream-token-0123456789' } },
    });
    expect(server.errors).toBeUndefined();
    key = await system.createKey({ name: 'records-agent', mcpAccess: [{ server: 'records', tools: ['list_records', 'delete_records', 'read_config'] }] });
    const policy = await system.owner.gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: JSON.stringify(POLICY) },
    });
    expect(policy.errors).toBeUndefined();
    const before = system.dp.node.readiness().version ?? 0;
    const attached = await system.owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 15_000, 'the policy to reach the node');

    agent = new Client({ name: 'records-agent', version: '1.0.0' });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL(`${system.dp.url}/mcp/records`), { requestInit: { headers: { Authorization: `Bearer ${key.secret}` } } }),
    );
    approver = await openConsolePage(browser, DESKTOP);
    await signIn(approver.page, world.consoleUrl, world.operator);
    await openScreen(approver.page, 'Approvals');
  });

  afterAll(async () => {
    await agent?.close().catch(() => undefined);
    await browser?.close();
    await tools?.close();
    await world?.close();
  });

  /** Calls `delete_records` for `table`, as an agent that waits for approvals does; resolves with the result or the error. */
  const deleteHeld = (table: string, progress: string[]) =>
    agent
      .callTool({ name: 'delete_records', arguments: { table } }, undefined, {
        timeout: 120_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => progress.push(p.message ?? String(p.progress)),
      })
      .then(
        (result) => ({ result: result as CallToolResult }),
        (error: unknown) => ({ error }),
      );

  /** Waits for the one held call's card, then approves or rejects it with `reason`. */
  const decide = async (decision: 'approve' | 'reject', reason: string) => {
    const card: Locator = approver.page.locator('[data-test^="approval-"]');
    await card.first().waitFor({ timeout: 30_000 });
    await expect(card.first().textContent()).resolves.toContain('delete_records');
    await card.first().locator(`[data-test=${decision}]`).click();
    const confirm = dialog(approver.page, decision === 'approve' ? 'Approve this request?' : 'Reject this request?');
    await confirm.waitFor({ timeout: UI_TIMEOUT_MS });
    await confirm.locator('[data-test=decision-reason]').locator('textarea, input').first().fill(reason);
    await confirm.locator('[data-test=confirm-decision]').click();
    await approver.page.getByText('Nothing is waiting').waitFor({ timeout: UI_TIMEOUT_MS });
  };

  it('lists only the tools the key may call', async () => {
    const listed = await agent.listTools();
    expect(listed.tools.map((t) => t.name).sort()).toEqual(['delete_records', 'list_records', 'read_config']);
  });

  it('holds the destructive tool until a person approves it in the console, then runs it once', { timeout: 120_000 }, async () => {
    const progress: string[] = [];
    const pending = deleteHeld('customers', progress);
    await eventually(() => (progress.length >= 2 ? true : undefined), 30_000, 'keep-alive progress while the call is held');
    expect(progress[0]).toBe('Waiting for a person to approve this tool call.');
    expect(tools.log.calls.filter((c) => c.tool === 'delete_records')).toEqual([]);

    await decide('approve', 'Customers table is a test fixture');
    const outcome = await pending;
    if (!('result' in outcome)) throw new Error(`the approved call failed: ${String(outcome.error)}`);
    expect(outcome.result.content).toEqual([{ type: 'text', text: 'deleted every record of customers' }]);
    expect(tools.log.calls.filter((c) => c.tool === 'delete_records')).toEqual([{ tool: 'delete_records', arguments: { table: 'customers' } }]);
  });

  it('never lets a rejected call reach the server, and tells the agent why', { timeout: 120_000 }, async () => {
    const pending = deleteHeld('orders', []);
    await decide('reject', 'Orders are production data');
    const outcome = await pending;
    if (!('error' in outcome)) throw new Error('the rejected call ran');
    expect(outcome.error).toBeInstanceOf(McpError);
    expect((outcome.error as McpError).message).toContain('This tool call was rejected by an approver: Orders are production data');
    expect(tools.log.calls.filter((c) => c.tool === 'delete_records').map((c) => c.arguments.table)).toEqual(['customers']);
  });

  it('redacts a secret in what a tool returns, and personal data in what an agent sends', async () => {
    const config = await agent.callTool({ name: 'read_config', arguments: {} });
    const text = (config.content as { text: string }[])[0]!.text;
    expect(text).toContain('stripe_key=[STRIPE_KEY_1]');
    expect(text).not.toContain('sk_live_');

    const listed = await agent.callTool({ name: 'list_records', arguments: { table: 'contacts of ana.silva@example.com' } });
    expect(listed.content).toEqual([{ type: 'text', text: '3 records in contacts of [EMAIL_1]' }]);
    expect(tools.log.calls.at(-1)).toEqual({ tool: 'list_records', arguments: { table: 'contacts of [EMAIL_1]' } });
  });

  it('blocks a call a rule forbids with the rule’s message, before it reaches the server', async () => {
    const refused = await agent.callTool({ name: 'delete_records', arguments: { table: 'audit_log' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain('The audit log is append-only.');
    expect(tools.log.calls.map((c) => c.arguments.table)).not.toContain('audit_log');
  });

  it('records every call in the events with its decision, the rules that matched and the approval', async () => {
    const db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    try {
      type Row = {
        mcp_tool: string;
        decision: string;
        error_code: string | null;
        approval_id: string | null;
        tags: string[];
        policy_matches: { ruleId: string; phase: string; action: string }[];
      };
      const rows = await eventually(
        async () => {
          const { rows } = await db.query<Row>(`select * from usage_events where api = 'mcp' and endpoint = 'tools/call' order by started_at`);
          return rows.length >= 5 ? rows : undefined;
        },
        15_000,
        'the tool calls to be stored',
      );
      const summary = rows.map((r) => [r.mcp_tool, r.decision, r.error_code, r.policy_matches.map((m) => `${m.phase}:${m.ruleId}:${m.action}`)]);
      expect(summary).toEqual([
        ['delete_records', 'approved', null, ['tool_call:deletes-need-a-person:hold']],
        ['delete_records', 'rejected', 'request_rejected', ['tool_call:deletes-need-a-person:hold']],
        ['read_config', 'redacted', null, ['tool_call:tag-reads:log', 'tool_result:no-live-keys-back:redact']],
        ['list_records', 'redacted', null, ['tool_call:no-emails-to-tools:redact']],
        ['delete_records', 'blocked', 'blocked', ['tool_call:audit-log-is-append-only:block']],
      ]);
      expect(rows[0]!.approval_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(rows[1]!.approval_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(rows[2]!.tags).toEqual(['config-read']);
      const approvals = await world.system.owner.gql<{ approvals: { nodes: { api: string; endpoint: string; status: string; decisionReason: string }[] } }>(
        `query { approvals(first: 5) { nodes { api endpoint status decisionReason } } }`,
      );
      expect(approvals.data!.approvals.nodes.map((a) => [a.api, a.endpoint, a.status, a.decisionReason]).sort()).toEqual([
        ['mcp', 'tools/call', 'FORWARDED', 'Customers table is a test fixture'],
        ['mcp', 'tools/call', 'REFUSED', 'Orders are production data'],
      ]);
      expect(approver.errors).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
