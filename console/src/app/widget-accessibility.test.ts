import { mount } from '@vue/test-utils';
import { NCard, NTabPane, NTabs } from 'naive-ui';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { watchWidgetAccessibility } from './widget-accessibility';

const Tabs = defineComponent(() => {
  const tab = ref('live');
  return () =>
    h(NTabs, { value: tab.value, 'onUpdate:value': (v: string) => (tab.value = v), type: 'line' }, () => [
      h(NTabPane, { name: 'live', tab: 'Live' }, () => 'live requests'),
      h(NTabPane, { name: 'history', tab: 'History' }, () => 'past requests'),
      h(NTabPane, { name: 'exports', tab: 'Exports' }, () => 'exports'),
    ]);
});

function tab(name: string): HTMLElement {
  const found = [...document.querySelectorAll<HTMLElement>('[role=tab]')].find((t) => t.textContent?.trim() === name);
  if (!found) throw new Error(`No tab named ${name}`);
  return found;
}

function press(target: HTMLElement, key: string): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
}

describe('tabs for keyboard and screen readers', () => {
  beforeAll(() => watchWidgetAccessibility(document.body));

  it('gives Naive UI tabs the ARIA tabs roles with the selected tab as the one tab stop', async () => {
    const wrapper = mount(Tabs, { attachTo: document.body });
    await expect.poll(() => document.querySelector('[role=tablist]')?.querySelectorAll('[role=tab]').length).toBe(3);
    expect(tab('Live').getAttribute('aria-selected')).toBe('true');
    expect(tab('Live').getAttribute('tabindex')).toBe('0');
    expect(tab('History').getAttribute('aria-selected')).toBe('false');
    expect(tab('History').getAttribute('tabindex')).toBe('-1');
    expect(document.querySelector('[role=tabpanel]')?.textContent).toContain('live requests');
    wrapper.unmount();
  });

  it('moves the selection with the arrow keys, Home and End', async () => {
    const wrapper = mount(Tabs, { attachTo: document.body });
    await expect.poll(() => document.querySelectorAll('[role=tab]').length).toBe(3);
    press(tab('Live'), 'ArrowRight');
    await expect.poll(() => tab('History').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(tab('History'));
    press(tab('History'), 'End');
    await expect.poll(() => tab('Exports').getAttribute('aria-selected')).toBe('true');
    press(tab('Exports'), 'ArrowRight');
    await expect.poll(() => tab('Live').getAttribute('aria-selected')).toBe('true');
    press(tab('Live'), 'ArrowLeft');
    await expect.poll(() => tab('Exports').getAttribute('aria-selected')).toBe('true');
    press(tab('Exports'), 'Home');
    await expect.poll(() => tab('Live').getAttribute('aria-selected')).toBe('true');
    expect(tab('Exports').getAttribute('tabindex')).toBe('-1');
    wrapper.unmount();
  });
});

describe('card dialogs for screen readers', () => {
  it('makes a card title one level-2 heading and names the dialog it heads by it', async () => {
    const wrapper = mount(
      defineComponent(() => () => h('div', { role: 'dialog' }, [h(NCard, { title: 'New key' }, () => 'form')])),
      { attachTo: document.body },
    );
    await expect.poll(() => document.querySelector('.n-card-header__main')?.getAttribute('aria-level')).toBe('2');
    const title = document.querySelector<HTMLElement>('.n-card-header__main')!;
    expect(document.querySelector('.n-card-header')!.getAttribute('role')).toBe('none');
    expect(document.querySelector('[role=dialog]')!.getAttribute('aria-labelledby')).toBe(title.id);
    expect(title.textContent).toBe('New key');
    wrapper.unmount();
  });
});
