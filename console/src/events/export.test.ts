import { describe, expect, it } from 'vitest';
import { usageEvent } from '@/testing/fixtures';
import { csvField, eventsToCsv, eventsToJson, EXPORT_COLUMNS } from './export';

describe('exporting requests', () => {
  it('quotes CSV fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(['pii', 'redacted'])).toBe('pii redacted');
  });

  it('keeps spreadsheets from running a field as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-12')).toBe('-12');
  });

  it('writes a header and one row per event, money in micro-dollars', () => {
    const csv = eventsToCsv([usageEvent({ costMicros: 1_250_000, model: 'gpt-4o' })]);
    const [header, row] = csv.trimEnd().split('\r\n');
    expect(header!.split(',')).toContain('costMicros');
    expect(row).toContain(',1250000,');
    expect(row).toContain(',gpt-4o,');
  });

  it('writes JSON without GraphQL type names', () => {
    const parsed = JSON.parse(eventsToJson([{ ...usageEvent({ costMicros: 42 }), __typename: 'UsageEvent' } as ReturnType<typeof usageEvent>]));
    expect(parsed[0]).not.toHaveProperty('__typename');
    expect(parsed[0].costMicros).toBe('42');
  });

  it('exports every field the console reads except captured content (when retention removed it included), the matched policy rules, upstream attempts, anomaly score, MCP tool, HDP chain and custom metadata included', () => {
    expect(EXPORT_COLUMNS).toEqual(
      expect.arrayContaining([
        'policyMatches',
        'approvalId',
        'routeId',
        'attempts',
        'traceId',
        'receivedAt',
        'contentPurgedAt',
        'clientIpHash',
        'mcpServer',
        'mcpTool',
        'resultBytes',
        'anomalyScore',
        'anomalyReasons',
        'hdpResult',
        'hdpPrincipalId',
        'hdpChain',
        'meta',
        'metaDropped',
      ]),
    );
    expect(EXPORT_COLUMNS).not.toContain('content');
    const event = usageEvent({
      approvalId: 'appr_1',
      routeId: 'route_1',
      attempts: [
        { credentialId: 'cred_1', model: 'gpt-4o', outcome: 'TIMEOUT', status: null, latencyMs: 300 },
        { credentialId: 'cred_2', model: 'gpt-4o-mini', outcome: 'ANSWERED', status: 200, latencyMs: 41 },
      ],
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      toolsOffered: ['search_docs', 'transfer_funds'],
      anomalyScore: 91,
      anomalyReasons: [
        { code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' },
        { code: 'new_client', message: 'first call from a new client' },
      ],
      mcpServer: 'records',
      mcpTool: 'list_records',
      resultBytes: 512,
      policyMatches: [
        { policyId: 'pol_1', policyVersion: 4, ruleId: 'contacts', action: 'REDACT', phase: 'REQUEST', shadow: false },
        { policyId: 'pol_1', policyVersion: 4, ruleId: 'trial', action: 'BLOCK', phase: 'REQUEST', shadow: true },
      ],
      // HDP delegation provenance.
      hdpResult: 'valid',
      hdpTokenId: 'tok_1',
      hdpPrincipalId: 'usr_alice',
      hdpPrincipalType: 'opaque',
      hdpChain: [
        { agentId: 'orchestrator-v2', agentType: 'orchestrator' },
        { agentId: 'report-writer', agentType: 'tool-executor' },
      ],
      // Custom metadata.
      meta: [
        { name: 'customer', value: 'acme' },
        { name: 'run-id', value: 'r-42' },
      ],
      metaDropped: 1,
      contentPurgedAt: '2026-12-01T04:00:00.000Z',
    });
    const [header, row] = eventsToCsv([event]).trimEnd().split('\r\n');
    expect(header!.split(',')).toContain('policyMatches');
    expect(row).toMatch(
      /,pol_1@v4:contacts:redact pol_1@v4:trial:block:shadow,appr_1,route_1,cred_1\/gpt-4o:timeout:300ms cred_2\/gpt-4o-mini:answered:200:41ms,4bf92f3577b34da6a3ce929d0e0e4736,false,ua-family-hash,search_docs transfer_funds,91,new_tool: tool `transfer_funds` never seen for this key; new_client: first call from a new client,,records,list_records,512,valid,tok_1,usr_alice,opaque,orchestrator-v2:orchestrator report-writer:tool-executor,30,180,630,customer=acme run-id=r-42,1,2026-12-01T04:00:00.000Z$/,
    );
    expect(header!.split(',')[0]).toBe('startedAt');
    const parsed = JSON.parse(eventsToJson([event]));
    expect(parsed[0].attempts[0]).toEqual({ credentialId: 'cred_1', model: 'gpt-4o', outcome: 'TIMEOUT', status: null, latencyMs: 300 });
    expect(parsed[0].anomalyReasons).toEqual([
      { code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' },
      { code: 'new_client', message: 'first call from a new client' },
    ]);
    expect(parsed[0].hdpChain).toEqual([
      { agentId: 'orchestrator-v2', agentType: 'orchestrator' },
      { agentId: 'report-writer', agentType: 'tool-executor' },
    ]);
    expect(parsed[0].meta).toEqual([
      { name: 'customer', value: 'acme' },
      { name: 'run-id', value: 'r-42' },
    ]);
    expect(parsed[0].policyMatches[1]).toEqual({ policyId: 'pol_1', policyVersion: 4, ruleId: 'trial', action: 'BLOCK', phase: 'REQUEST', shadow: true });
    expect(parsed[0].contentPurgedAt).toBe('2026-12-01T04:00:00.000Z');
  });
});
