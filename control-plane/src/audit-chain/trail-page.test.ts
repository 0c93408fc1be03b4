import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrgWithMember, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { signDueCheckpoints } from './checkpoints.js';

let cp: TestControlPlane;
let db: pg.Client;
let owner: OrgMember;

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'));
  db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
  owner = await createOrgWithMember(cp, 'owner');
  for (const name of ['one', 'two', 'three']) await owner.gql('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: name });
});

afterAll(async () => {
  await db?.end();
  await cp?.close();
});

interface TrailRow {
  chain: string;
  seq: number;
  rowId: string;
  prevHash: string;
  hash: string;
  actor: string;
  action: string;
  result: string;
  checkpoint: { signedAt: string; keyId: string } | null;
}

const TRAIL = `query($filter: AuditTrailFilter!, $first: Int, $after: String) {
  auditTrail(filter: $filter, first: $first, after: $after) { rows { chain seq rowId prevHash hash actor action result checkpoint { signedAt keyId } } nextCursor } }`;

async function trail(member: OrgMember, variables: Record<string, unknown>) {
  return member.gql<{ auditTrail: { rows: TrailRow[]; nextCursor: string | null } }>(TRAIL, variables);
}

async function links(orgId: string): Promise<{ seq: number; rowId: string; prevHash: string; hash: string }[]> {
  const { rows } = await db.query<{ seq: string; row_id: string; prev_hash: string; hash: string }>(
    `select l.seq, l.row_id, l.prev_hash, l.hash from audit_chain_links l join audit_entries a on a.id = l.row_id
      where l.organization_id = $1 and l.kind = 'audit' and a.action = 'createTeam' order by l.seq desc`,
    [orgId],
  );
  return rows.map((r) => ({ seq: Number(r.seq), rowId: r.row_id, prevHash: r.prev_hash, hash: r.hash }));
}

describe('the audit trail, row by row', () => {
  it('pages through one chain newest first with each row’s seq and hashes, filtered by action', async () => {
    const expected = await links(owner.orgId);
    expect(expected).toHaveLength(3);
    const first = await trail(owner, { filter: { chain: 'AUDIT', action: 'createTeam' }, first: 2 });
    expect(first.errors).toBeUndefined();
    const second = await trail(owner, { filter: { chain: 'AUDIT', action: 'createTeam' }, first: 2, after: first.data!.auditTrail.nextCursor });
    expect(second.data!.auditTrail.nextCursor).toBeNull();
    const rows = [...first.data!.auditTrail.rows, ...second.data!.auditTrail.rows];
    expect(rows.map(({ seq, rowId, prevHash, hash }) => ({ seq, rowId, prevHash, hash }))).toEqual(expected);
    expect(rows.every((r) => r.chain === 'AUDIT' && r.action === 'createTeam' && r.result === 'success' && r.actor.startsWith('token:'))).toBe(true);
  });

  it('shows the checkpoint signed at a row', async () => {
    await signDueCheckpoints(cp.services, { all: true });
    const { rows } = await db.query<{ seq: string; key_id: string }>(
      `select seq, key_id from audit_checkpoints where organization_id = $1 and kind = 'audit' order by seq desc limit 1`,
      [owner.orgId],
    );
    const res = await trail(owner, { filter: { chain: 'AUDIT' }, first: 200 });
    const signed = res.data!.auditTrail.rows.filter((r) => r.checkpoint);
    expect(signed.map((r) => [r.seq, r.checkpoint!.keyId])).toEqual([[Number(rows[0]!.seq), rows[0]!.key_id]]);
  });

  it('keeps each organization to its own chain, and says precisely what is wrong with a request', async () => {
    const other = await createOrgWithMember(cp, 'auditor');
    const res = await trail(other, { filter: { chain: 'AUDIT', action: 'createTeam' } });
    expect(res.data!.auditTrail.rows).toEqual([]);

    const misplaced = await trail(owner, { filter: { chain: 'USAGE', actor: 'user:x' } });
    expect(misplaced.errors?.[0]).toMatchObject({ message: '`filter.actor` filters audit entries only.', extensions: { code: 'BAD_USER_INPUT' } });
    const cursor = await trail(owner, { filter: { chain: 'AUDIT' }, after: 'abc' });
    expect(cursor.errors?.[0]?.message).toBe('`after` is not a cursor from this list.');
    const size = await trail(owner, { filter: { chain: 'AUDIT' }, first: 500 });
    expect(size.errors?.[0]?.message).toBe('`first` must be from 1 to 200.');
    const range = await trail(owner, { filter: { chain: 'AUDIT', from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' } });
    expect(range.errors?.[0]?.message).toBe('`filter.from` must be before `filter.to`.');
  });
});
