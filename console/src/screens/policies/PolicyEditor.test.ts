import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { mountScreen, settle } from '@/testing/mount';
import type { PolicyErrorItem } from './policy-errors';
import PolicyCreateView from './PolicyCreateView.vue';
import PolicyEditor from './PolicyEditor.vue';

const SOURCE = `name: Guardrails
rules:
  - id: no-credentials
    when: { prompt: { pii: credentials } }
    action: block
  - id: block-secrets
    when:
      prompt:
        regex: "("
    action: block
`;

const REGEX_ERROR: PolicyErrorItem = {
  path: 'rules[1].when.prompt.regex',
  rule: { index: 1, id: 'block-secrets' },
  message: 'rule "block-secrets" (#2): "when.prompt.regex" is not a valid regular expression: Unterminated group',
};

function mountEditor(errors: PolicyErrorItem[], source = SOURCE) {
  const text = ref(source);
  const Host = defineComponent({
    setup: () => () => h(PolicyEditor, { modelValue: text.value, 'onUpdate:modelValue': (v: string) => (text.value = v), format: 'YAML', errors }),
  });
  return { wrapper: mount(Host, { attachTo: document.body }), text };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the policy editor', () => {
  it('numbers every line of the text', () => {
    const { wrapper } = mountEditor([]);
    expect(wrapper.findAll('[data-gutter-line]')).toHaveLength(SOURCE.split('\n').length);
    expect((wrapper.get('[data-test="policy-source"]').element as HTMLTextAreaElement).value).toBe(SOURCE);
  });

  it('shows a rule error beside the first line of that rule, not the first rule', () => {
    const { wrapper } = mountEditor([REGEX_ERROR]);
    const notes = wrapper.findAll('[data-test="annotation"]');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.attributes('data-line')).toBe('6');
    expect(notes[0]!.attributes('data-rule')).toBe('1');
    expect(notes[0]!.text()).toContain('Rule #2 · block-secrets');
    expect(notes[0]!.text()).toContain('"when.prompt.regex" is not a valid regular expression');
    expect(notes[0]!.text()).not.toContain('rule "block-secrets" (#2)');
  });

  it('marks the rule lines in the gutter and leaves the others alone', () => {
    const { wrapper } = mountEditor([REGEX_ERROR]);
    expect(wrapper.get('[data-gutter-line="6"]').classes()).toContain('is-error-start');
    expect(wrapper.get('[data-gutter-line="10"]').classes()).toContain('is-error');
    expect(wrapper.get('[data-gutter-line="3"]').classes()).not.toContain('is-error');
  });

  it('lists errors about the whole document above the text', () => {
    const { wrapper } = mountEditor([{ path: 'name', rule: null, message: '"name" must be at most 120 characters' }, REGEX_ERROR]);
    expect(wrapper.get('[data-test="general-errors"]').text()).toBe('"name" must be at most 120 characters');
    expect(wrapper.findAll('[data-test="annotation"]')).toHaveLength(1);
  });

  it('moves an error with its rule when lines are added above it', async () => {
    const { wrapper, text } = mountEditor([REGEX_ERROR]);
    text.value = `# a comment on top\n${SOURCE}`;
    await settle();
    expect(wrapper.get('[data-test="annotation"]').attributes('data-line')).toBe('7');
  });

  it('indents with Tab instead of leaving the editor', async () => {
    const { wrapper, text } = mountEditor([], 'a');
    const area = wrapper.get('[data-test="policy-source"]');
    (area.element as HTMLTextAreaElement).setSelectionRange(0, 0);
    await area.trigger('keydown', { key: 'Tab' });
    expect(text.value).toBe('  a');
  });
});

async function openCreateScreen(responses: Record<string, unknown>) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/policies', name: 'policies', component: { render: () => null } },
      { path: '/policies/new', name: 'policy-new', component: PolicyCreateView },
      { path: '/policies/:id', name: 'policy', component: { render: () => h('p', 'policy page') } },
    ],
  });
  await router.push('/policies/new');
  await router.isReady();
  const mounted = mountScreen(RouterView, {
    permissions: ['policies:read', 'policies:write'],
    responses: { ValidatePolicy: { testPolicy: { request: { decision: { action: 'ALLOW' } } } }, ...responses },
    plugins: [router],
  });
  await settle();
  return { ...mounted, router };
}

describe('creating a policy', () => {
  it('shows each error the control plane returns beside its rule', async () => {
    const refused = Object.assign(new Error('The policy is not valid: rule "block-secrets" (#2): …'), {
      extensions: { code: 'BAD_USER_INPUT', errors: [REGEX_ERROR] },
    });
    const { wrapper, router } = await openCreateScreen({ CreatePolicy: refused });
    await wrapper.get('[data-test="policy-source"]').setValue(SOURCE);
    await wrapper.get('[data-test="create-policy"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-test="save-error"]').text()).toContain('fix the errors shown beside the rules');
    const note = wrapper.get('[data-test="annotation"]');
    expect(note.attributes('data-line')).toBe('6');
    expect(note.text()).toContain('is not a valid regular expression');
    expect(router.currentRoute.value.name).toBe('policy-new');
  });

  it('sends the text with its format and opens the new policy where it can be attached', async () => {
    let sent: unknown;
    const { wrapper, router } = await openCreateScreen({
      CreatePolicy: (variables: unknown) => {
        sent = variables;
        return { createPolicy: { ...policyFixture(), id: 'pol_1' } };
      },
    });
    await wrapper.get('[data-test="create-policy"]').trigger('click');
    await settle();
    expect(sent).toMatchObject({ input: { format: 'YAML', enabled: true, source: expect.stringContaining('no-credentials') } });
    expect(router.currentRoute.value.fullPath).toBe('/policies/pol_1?tab=attachments');
  });
});

function policyFixture() {
  return {
    __typename: 'Policy',
    id: 'pol_1',
    name: 'Production guardrails',
    description: null,
    enabled: true,
    shadow: false,
    currentVersion: 1,
    format: 'YAML',
    attachments: [],
    updatedAt: '2026-11-23T12:00:00Z',
    source: SOURCE,
    createdBy: 'user:1',
    createdAt: '2026-11-23T12:00:00Z',
  };
}
