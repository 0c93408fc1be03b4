import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { mountScreen, settle } from '@/testing/mount';
import SecretOnceModal from './SecretOnceModal.vue';

const SECRET = 'kw_0123456789abcdefghijABCDEFGHIJklmnopqrstuvwXYZ012';

/** A parent that holds the only copy of the secret, as the screens do. */
const holder = ref<string | null>(null);
const Parent = defineComponent({
  setup: () => () =>
    h(SecretOnceModal, {
      secret: holder.value,
      'onUpdate:secret': (value: string | null) => (holder.value = value),
      title: 'Your new key',
      noun: 'key',
    }),
});

const body = () => document.body;
const find = (selector: string) => body().querySelector<HTMLElement>(selector);

describe('the secret-shown-once modal', () => {
  let writeText: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    holder.value = SECRET;
    writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
  });

  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows the secret with a warning that it will not be shown again', async () => {
    mountScreen(Parent);
    await settle();
    expect(find('[data-test="secret"]')?.textContent).toBe(SECRET);
    expect(find('[data-test="warning"]')?.textContent).toMatch(/will not be shown again/);
  });

  it('copies the secret and only then lets the person close it', async () => {
    mountScreen(Parent);
    await settle();
    const done = find('[data-test="done"]') as HTMLButtonElement;
    expect(done.disabled).toBe(true);

    find('[data-test="copy"]')!.click();
    await settle();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(find('[data-test="copy"]')?.textContent).toContain('Copied');
    expect((find('[data-test="done"]') as HTMLButtonElement).disabled).toBe(false);
  });

  it('forgets the secret when closed: the parent loses it and the page no longer shows it', async () => {
    mountScreen(Parent);
    await settle();
    find('[data-test="stored"]')!.click();
    await settle();
    find('[data-test="done"]')!.click();
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(holder.value).toBeNull();
    expect(body().innerHTML).not.toContain(SECRET);
  });

  it('cannot be dismissed with Escape', async () => {
    mountScreen(Parent);
    await settle();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(holder.value).toBe(SECRET);
  });
});
