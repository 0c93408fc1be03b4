import { afterEach, describe, expect, it } from 'vitest';
import { usageEvent } from '@/testing/fixtures';
import { mountScreen, settle } from '@/testing/mount';
import EventDrawer from './EventDrawer.vue';

afterEach(() => {
  document.body.innerHTML = '';
});

async function contentNote(overrides: Parameters<typeof usageEvent>[0]): Promise<string> {
  mountScreen(EventDrawer, {
    props: { event: usageEvent(overrides), keyNames: new Map(), teamNames: new Map(), policyNames: new Map() },
    permissions: ['events:read'],
  });
  await settle();
  return document.querySelector('[data-test=event-content]')?.textContent ?? '';
}

describe('the request drawer', () => {
  it('says when retention removed the content', async () => {
    const note = await contentNote({ content: null, contentPurgedAt: '2026-11-30T08:15:00.000Z' });
    expect(note).toContain('Content removed by retention on ');
    expect(note).toContain('2026');
    expect(note).not.toContain('capture was off when it was made');
  });

  it('gives the other reasons while the content was never kept', async () => {
    const note = await contentNote({ content: null, contentPurgedAt: null });
    expect(note).not.toContain('removed by retention');
    expect(note).toMatch(/capture/i);
  });
});
