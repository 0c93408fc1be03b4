import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mountScreen, settle } from '@/testing/mount';
import ExportPanel from './ExportPanel.vue';

const LINK = {
  url: 'https://keyward.example/v1/exports/audit-entries.csv?org=o&from=f&to=t&expires=1&signature=s',
  fileName: 'keyward-audit-entries-20261101T000000Z-20261201T000000Z.csv',
  expiresAt: '2026-12-07T03:00:00.000Z',
};

const find = (selector: string) => document.querySelector<HTMLElement>(selector);
let downloads: { href: string; download: string }[] = [];

beforeEach(() => {
  downloads = [];
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    downloads.push({ href: this.getAttribute('href')!, download: this.download });
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

async function pressDownload() {
  find('[data-test=export-download]')!.click();
  await settle();
}

describe('the export panel', () => {
  it('asks for a signed link for the chosen kind, format and range, and downloads its path on the console’s origin', async () => {
    const asked: unknown[] = [];
    mountScreen(ExportPanel, {
      permissions: ['audit:read'],
      responses: { CreateExport: (variables: unknown) => (asked.push(variables), { createExport: LINK }) },
    });
    await settle();
    // An auditor without events:read is not offered usage events.
    expect(document.body.textContent).not.toContain('Usage events');
    await pressDownload();
    const { input } = asked[0] as { input: { kind: string; format: string; from: string; to: string } };
    expect(input.kind).toBe('AUDIT_ENTRIES');
    expect(input.format).toBe('CSV');
    expect(Date.parse(input.to) - Date.parse(input.from)).toBe(7 * 86_400_000 + 3_600_000);
    expect(downloads).toEqual([{ href: '/v1/exports/audit-entries.csv?org=o&from=f&to=t&expires=1&signature=s', download: LINK.fileName }]);
  });

  it('shows a refusal as an alert and downloads nothing', async () => {
    mountScreen(ExportPanel, {
      permissions: ['audit:read', 'events:read'],
      responses: { CreateExport: Object.assign(new Error('`input.from` must be before `input.to`.'), { extensions: { code: 'BAD_USER_INPUT' } }) },
    });
    await pressDownload();
    const alert = find('[data-test=export-error]')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Could not export: `input.from` must be before `input.to`.');
    expect(downloads).toEqual([]);
  });
});
