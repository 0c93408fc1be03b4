import { afterEach, describe, expect, it } from 'vitest';
import type { VerifyAuditTrailQuery } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import TrailIntegrityPanel from './TrailIntegrityPanel.vue';

type Verification = VerifyAuditTrailQuery['verifyAuditTrail'];

const CHAINS: Verification['chains'] = [
  { chain: 'USAGE', anchorSeq: null, lastSeq: 10, rowsChecked: 10, checkpointsChecked: 1, contentPurged: 4 },
  { chain: 'AUDIT', anchorSeq: null, lastSeq: 3, rowsChecked: 3, checkpointsChecked: 1, contentPurged: 0 },
];

const ALTERED = 'e3b0c442-98fc-4c14-9afb-f4c8996fb924';
const TAMPERED: Verification = {
  ok: false,
  problemCount: 2,
  chains: CHAINS,
  problems: [
    {
      problem: 'ALTERED',
      chain: 'USAGE',
      seq: 3,
      rowId: ALTERED,
      message: `The usage event ${ALTERED} (seq 3) was altered: its contents no longer match its hash.`,
    },
    { problem: 'DELETED', chain: 'USAGE', seq: 5, rowId: 'row-5', message: 'The usage event row-5 (seq 5) was deleted.' },
  ],
};

const find = (selector: string) => document.querySelector<HTMLElement>(selector);

async function pressVerify() {
  find('[data-test=verify-trail]')!.click();
  await settle();
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the audit trail integrity panel', () => {
  it('runs nothing until Verify is pressed, then says the chains are intact with what was checked', async () => {
    const calls: unknown[] = [];
    mountScreen(TrailIntegrityPanel, {
      permissions: ['audit:read'],
      responses: {
        VerifyAuditTrail: (variables: unknown) => (calls.push(variables), { verifyAuditTrail: { ok: true, problemCount: 0, chains: CHAINS, problems: [] } }),
      },
    });
    await settle();
    expect(calls).toEqual([]);
    expect(find('[data-test=trail-export]')!.getAttribute('href')).toBe('/v1/audit/trail.ndjson');
    expect(find('[data-test=trail-keys]')!.getAttribute('href')).toBe('/.well-known/keyward-audit-keys.json');

    await pressVerify();
    expect(calls).toEqual([{}]);
    const verified = find('[data-test=trail-verified]')!.textContent!;
    expect(verified).toContain('Verified: 0 problems, chains intact.');
    expect(verified).toContain(
      'Usage events: 10 rows and 1 checkpoints checked, from the first row to seq 10; content removed by retention from 4 rows (they verify by its digest)',
    );
    expect(verified).toContain('Admin activity: 3 rows and 1 checkpoints checked');
    expect(find('[data-test=trail-problems]')).toBeNull();
  });

  it('lists every problem and highlights the first, where tampering begins', async () => {
    mountScreen(TrailIntegrityPanel, { permissions: ['audit:read'], responses: { VerifyAuditTrail: { verifyAuditTrail: TAMPERED } } });
    await pressVerify();
    expect(find('[data-test=trail-verified]')).toBeNull();
    expect(find('[data-test=trail-tampered]')!.textContent).toContain('The audit trail does not verify: 2 problems.');
    const rows = Array.from(document.querySelectorAll<HTMLElement>('[data-test=trail-problems] .n-data-table-tbody .n-data-table-tr'));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.classList.contains('problem--first')).toBe(true);
    expect(rows[1]!.classList.contains('problem--first')).toBe(false);
    const first = rows[0]!.textContent!;
    for (const text of ['ALTERED', 'Tampering begins here', 'Usage events', '3', ALTERED, 'was altered: its contents no longer match its hash.']) {
      expect(first).toContain(text);
    }
    expect(rows[1]!.textContent).toContain('DELETED');
    expect(rows[1]!.textContent).not.toContain('Tampering begins here');
  });

  it('shows an API refusal as an alert, not a stack', async () => {
    mountScreen(TrailIntegrityPanel, {
      permissions: ['audit:read'],
      responses: { VerifyAuditTrail: new Error('You do not have permission to read the audit log.') },
    });
    await pressVerify();
    const alert = find('[data-test=trail-error]')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Could not verify the audit trail: You do not have permission to read the audit log.');
    expect(alert.textContent).not.toMatch(/at \S+ \(/);
  });
});
