import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { mountScreen, settle } from '@/testing/mount';
import type { PolicyErrorItem } from './policy-errors';
import PolicyCreateView from './PolicyCreateView.vue';
import { policyEditorView, typeInEditor } from './editor/testing';
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
  return { wrapper: mountScreen(Host).wrapper, text };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the policy editor', () => {
  it('shows the text and keeps it in step both ways', async () => {
    const { wrapper, text } = mountEditor([]);
    await settle();
    expect((await policyEditorView(wrapper)).state.doc.toString()).toBe(SOURCE);
    await typeInEditor(wrapper, 'name: other\nrules: []\n');
    expect(text.value).toBe('name: other\nrules: []\n');
    text.value = `# a comment on top\n${SOURCE}`;
    await settle();
    expect((await policyEditorView(wrapper)).state.doc.toString()).toBe(`# a comment on top\n${SOURCE}`);
  });

  it('lists each error under the text at the line its path points to, and whole-document errors above', async () => {
    const { wrapper } = mountEditor([
      { path: 'name', rule: null, message: '"name" must be at most 120 characters' },
      REGEX_ERROR,
      { path: '', message: 'the policy must have "rules"' },
    ]);
    await settle();
    expect(wrapper.get('[data-test="general-errors"]').text()).toBe('the policy must have "rules"');
    const notes = wrapper.findAll('[data-test="annotation"]');
    expect(notes.map((n) => n.attributes('data-line'))).toEqual(['1', '9']);
    expect(notes[1]!.text()).toContain('is not a valid regular expression');
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
  it('shows each error the control plane returns where its path points', async () => {
    const refused = Object.assign(new Error('The policy is not valid: rule "block-secrets" (#2): …'), {
      extensions: { code: 'BAD_USER_INPUT', errors: [REGEX_ERROR] },
    });
    const { wrapper, router } = await openCreateScreen({ CreatePolicy: refused });
    await typeInEditor(wrapper, SOURCE);
    await wrapper.get('[data-test="create-policy"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-test="save-error"]').text()).toContain('fix the errors marked in the text');
    const note = wrapper.get('[data-test="annotation"]');
    expect(note.attributes('data-line')).toBe('9');
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
