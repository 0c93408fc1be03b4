import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, USAGE_EVENT_FIELDS, type EventFieldSpec } from '@keyward/shared';
import { AUDIT_CHAIN, contentDigestOf, GENESIS_HASH, linkedRow, linkHash, USAGE_CHAIN } from './chain-kinds.js';
import { prepareLinks } from './chain-append.js';
import { ChainTips } from './chain-tips.js';

/** The usage event fields the chain began with (Migration20261207000500 linked rows holding these). */
const FIELDS_AT_CHAIN_START = [
  'id',
  'orgId',
  'keyId',
  'keyPrefix',
  'ownerLabel',
  'teamId',
  'provider',
  'credentialId',
  'api',
  'endpoint',
  'model',
  'stream',
  'status',
  'decision',
  'errorCode',
  'startedAt',
  'latencyMs',
  'ttftMs',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'costMicros',
  'clientIpHash',
  'userAgentHash',
  'requestId',
  'nodeId',
  'tags',
  'policyMatches',
  'approvalId',
  'content',
];

/** Text of every kind JSON escapes or keeps: quotes, backslashes, control characters, lone surrogates, astral characters. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
  fc.constantFrom('', '"', '\\', '\u2028', 'é', '\ud83d\ude00', '\ud800'),
);

/** A value of a column as a stored event's message or a selected row carries it (bigints as numbers or strings, times as dates or strings; booleans never null: they are stored false). */
function columnValue(field: EventFieldSpec): fc.Arbitrary<unknown> {
  const orNull = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 3 });
  if (field.list) return orNull(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
  switch (field.columnType) {
    case 'uuid':
      return orNull(fc.uuid());
    case 'boolean':
      return fc.boolean();
    case 'smallint':
      return orNull(fc.integer({ min: 0, max: 32_767 }));
    case 'bigint': {
      // PostgreSQL's client reads bigints as strings; a message carries them as numbers.
      const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
      return orNull(fc.oneof(count, count.map(String)));
    }
    case 'timestamptz': {
      const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
      return fc.oneof(
        time,
        time.map((date) => date.toISOString()),
      );
    }
    case 'jsonb':
      return orNull(fc.jsonValue({ maxDepth: 3 }));
    default:
      return orNull(anyText);
  }
}

/** Random usage event rows: every field of the event table plus `receivedAt`. */
const usageRows = fc.record(
  Object.fromEntries([
    ['receivedAt', columnValue({ name: 'receivedAt', columnType: 'timestamptz' } as EventFieldSpec)],
    ...(USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).map((field) => [field.name, columnValue(field)]),
  ]) as Record<string, fc.Arbitrary<unknown>>,
);

describe('canonical JSON (RFC 8785)', () => {
  it("writes random usage event rows byte for byte as the generic encoder writes the trail's object, and links them with the same hashes", () => {
    fc.assert(
      fc.property(fc.array(usageRows, { minLength: 1, maxLength: 4 }), fc.uuid(), (rows, orgId) => {
        // Hashed onto a known tip, as ingestion hashes a batch before it locks the chain's head.
        const tips = new ChainTips();
        tips.set(orgId, { seq: 0, hash: GENESIS_HASH, digest: Buffer.from(GENESIS_HASH, 'hex') });
        const prepared = prepareLinks(
          USAGE_CHAIN,
          rows.map((row) => ({ ...row, orgId })),
          tips,
        );
        let prevHash = GENESIS_HASH;
        rows.forEach((generated, i) => {
          const row = { ...generated, orgId };
          const view = USAGE_CHAIN.trailView(row, 2);
          const contentDigest = contentDigestOf(view.content!);
          const generic = canonicalJson(linkedRow(view.row, contentDigest));
          expect(USAGE_CHAIN.canonicalForm(row)).toEqual({ text: generic, contentDigest });
          expect(prepared.framed[i]!.subarray(32).toString()).toBe(generic);
          expect(prepared.guessed?.prev[i]).toBe(prevHash);
          prevHash = linkHash(prevHash, generic);
          expect(prepared.guessed?.hash[i]).toBe(prevHash);
          expect(prepared.guessed?.seq[i]).toBe(i + 1);
        });
        expect(tips.get(orgId)).toMatchObject({ seq: rows.length, hash: prevHash });
      }),
      { numRuns: 50 },
    );
  });

  it('leaves every field added after the chain began out of a row while it is unset, so older links keep verifying', () => {
    const added = (USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => !FIELDS_AT_CHAIN_START.includes(field.name));
    expect(added.filter((field) => !field.canonicalWhenSet).map((field) => field.name)).toEqual([]);
  });

  it('writes a usage event row the same by the fast road ingestion takes and by the object the export carries', () => {
    const row = {
      receivedAt: '2026-12-06 23:37:48.614123+00',
      id: '01a24db7-b9af-773c-a8a9-d3f6235f0580',
      orgId: 'caa3d30d-e01c-42cb-b253-86eee089af8c',
      keyId: 'caa3d30d-e01c-42cb-b253-86eee089af8c',
      keyPrefix: 'kw_AbCdE',
      ownerLabel: 'agent "ö"',
      teamId: null,
      provider: 'openai',
      credentialId: null,
      api: 'openai',
      endpoint: 'chat.completions',
      model: 'gpt-4o-mini',
      stream: true,
      status: 200,
      decision: 'redacted',
      errorCode: null,
      startedAt: new Date('2026-12-06T23:37:48.000Z'),
      latencyMs: '120',
      ttftMs: null,
      inputTokens: '10',
      outputTokens: '20',
      cachedInputTokens: '0',
      costMicros: '150',
      clientIpHash: 'c1',
      userAgentHash: 'u1',
      requestId: 'r',
      nodeId: 'node-a',
      tags: null,
      policyMatches: [{ rule: 'pii', version: 3, shadow: false, detail: { z: 1, a: [1.5, 'x'] } }],
      approvalId: null,
      content: { response: 'b', request: 'a' },
    };
    // Format 2: the row without its content, committing to the content's digest instead.
    const linkedText = (r: Record<string, unknown>) => {
      const view = USAGE_CHAIN.trailView(r, 2);
      return canonicalJson(linkedRow(view.row, contentDigestOf(view.content!)));
    };
    expect(USAGE_CHAIN.canonicalForm(row)).toEqual({ text: linkedText(row), contentDigest: contentDigestOf('{"content":{"request":"a","response":"b"}}') });
    expect(linkedText(row)).not.toContain('"request"');
    const other = { ...row, tags: ['x'], content: null, ttftMs: '7' };
    expect(USAGE_CHAIN.canonicalForm(other)).toEqual({ text: linkedText(other), contentDigest: contentDigestOf('{"content":null}') });
    // Format 1, as links written before content retention hashed it: the content inline.
    expect(USAGE_CHAIN.trailView(row, 1).row).toEqual(USAGE_CHAIN.canonicalRow(row));
    expect(canonicalJson(USAGE_CHAIN.canonicalRow(row))).toContain('"content":{"request":"a","response":"b"}');

    // `traceId` came after the chain: a row without one (stored before it existed, or by a node
    // that had none) is written exactly as before, so its link still verifies.
    expect(USAGE_CHAIN.canonicalForm(row).text).not.toContain('traceId');
    expect(USAGE_CHAIN.canonicalRow({ ...row, traceId: null })).not.toHaveProperty('traceId');
    const traced = { ...row, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
    expect(USAGE_CHAIN.canonicalForm(traced).text).toContain('"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"');
    expect(USAGE_CHAIN.canonicalForm(traced).text).toBe(linkedText(traced));
    // So do `routeId` and `attempts` (a list: left out while empty), in both formats.
    const unrouted = { ...row, routeId: null, attempts: [] };
    expect(USAGE_CHAIN.canonicalForm(unrouted).text).toBe(USAGE_CHAIN.canonicalForm(row).text);
    expect(canonicalJson(USAGE_CHAIN.canonicalRow(unrouted))).toBe(canonicalJson(USAGE_CHAIN.canonicalRow(row)));
    expect(USAGE_CHAIN.canonicalRow(unrouted)).not.toHaveProperty('attempts');
    const routed = {
      ...row,
      routeId: 'caa3d30d-e01c-42cb-b253-86eee089af8c',
      attempts: [{ credentialId: 'c', model: 'm', outcome: 'answered', status: 200, latencyMs: 4 }],
    };
    expect(USAGE_CHAIN.canonicalForm(routed).text).toContain('"attempts":[{');
    expect(USAGE_CHAIN.canonicalForm(routed).text).toBe(linkedText(routed));
    // And `cacheHit` (a flag: left out while false, as every row stored before it reads back).
    const uncached = { ...row, cacheHit: false };
    expect(USAGE_CHAIN.canonicalForm(uncached).text).toBe(USAGE_CHAIN.canonicalForm(row).text);
    expect(USAGE_CHAIN.canonicalRow(uncached)).not.toHaveProperty('cacheHit');
    const hit = { ...row, cacheHit: true };
    expect(USAGE_CHAIN.canonicalForm(hit).text).toContain('"cacheHit":true');
    expect(USAGE_CHAIN.canonicalForm(hit).text).toBe(linkedText(hit));
    // And the anomaly scoring fields: unscored rows (null score, no reasons, no tools, no family) are written as before.
    const unscored = { ...row, userAgentFamilyHash: null, toolsOffered: [], anomalyScore: null, anomalyReasons: [] };
    expect(USAGE_CHAIN.canonicalForm(unscored).text).toBe(USAGE_CHAIN.canonicalForm(row).text);
    for (const name of ['userAgentFamilyHash', 'toolsOffered', 'anomalyScore', 'anomalyReasons'])
      expect(USAGE_CHAIN.canonicalRow(unscored)).not.toHaveProperty(name);
    const scored = {
      ...row,
      userAgentFamilyHash: 'ab12',
      toolsOffered: ['transfer_funds'],
      anomalyScore: 91,
      anomalyReasons: [{ code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' }],
    };
    expect(USAGE_CHAIN.canonicalForm(scored).text).toContain(
      '"anomalyReasons":[{"code":"new_tool","message":"tool `transfer_funds` never seen for this key"}],"anomalyScore":91',
    );
    expect(USAGE_CHAIN.canonicalForm(scored).text).toBe(linkedText(scored));
    // A score of 0 is a score: it is written.
    expect(USAGE_CHAIN.canonicalForm({ ...row, anomalyScore: 0 }).text).toContain('"anomalyScore":0');
    const entry = {
      id: 'a',
      orgId: 'o',
      createdAt: '2026-12-06 23:37:48.614123+00',
      actor: 'user:1',
      action: 'createKey',
      targetId: null,
      outcome: 'success',
      errorCode: null,
      args: { b: 1, a: 2 },
      ipHash: 'h',
      userAgent: 'ua',
      requestId: 'r',
    };
    expect(AUDIT_CHAIN.canonicalForm(entry).text).toBe(
      '{"action":"createKey","actor":"user:1","args":{"a":2,"b":1},"createdAt":"2026-12-06T23:37:48.614Z","errorCode":null,"id":"a","ipHash":"h","orgId":"o","outcome":"success","requestId":"r","targetId":null,"userAgent":"ua"}',
    );
  });
});
