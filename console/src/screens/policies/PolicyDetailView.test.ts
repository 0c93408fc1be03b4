import { afterEach, describe, expect, it } from 'vitest';
import { h } from 'vue';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import type { PolicyDetailFieldsFragment, PolicyVersionFieldsFragment, TestPolicyQuery } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import { policyEditorView, typeInEditor } from './editor/testing';
import PolicyDetailView from './PolicyDetailView.vue';
// The editor's own chunk, loaded up front so that no test's time goes to its first transform.
import './PolicyEditor.vue';

const V1 = 'name: Guardrails\nrules:\n  - id: no-credentials\n    when: { prompt: { pii: credentials } }\n    action: block\n';
const V2 = `${V1}  - id: contacts\n    when: { prompt: { pii: email } }\n    action: { type: redact, detectors: [email] }\n`;

const policy: PolicyDetailFieldsFragment = {
  id: 'pol_1',
  name: 'Guardrails',
  description: null,
  enabled: true,
  shadow: false,
  currentVersion: 2,
  format: 'YAML',
  attachments: [{ kind: 'ORG', id: 'org_1', name: 'Acme' }],
  updatedAt: '2026-11-23T12:00:00Z',
  source: V2,
  createdBy: 'user:user_1',
  createdAt: '2026-11-20T12:00:00Z',
};
const version = (n: number, source: string, note: string): PolicyVersionFieldsFragment => ({
  version: n,
  source,
  format: 'YAML',
  changedBy: 'user:user_1',
  changedByName: 'Ada Lovelace',
  note,
  createdAt: '2026-11-2' + n + 'T12:00:00Z',
});
const trace: TestPolicyQuery = {
  testPolicy: {
    request: {
      rules: [
        {
          ruleId: 'no-credentials',
          index: 0,
          on: 'REQUEST',
          action: 'BLOCK',
          shadow: false,
          reached: true,
          matched: false,
          reason: 'no credentials found in the prompt',
        },
        { ruleId: 'contacts', index: 1, on: 'REQUEST', action: 'REDACT', shadow: false, reached: true, matched: true, reason: 'prompt contains email' },
      ],
      decision: {
        action: 'ALLOW',
        block: null,
        hold: null,
        redact: [{ ruleId: 'contacts', detectors: ['email'], patterns: [], replacement: 'placeholder', restore: false }],
        tags: [],
        matches: [{ ruleId: 'contacts', action: 'REDACT', shadow: false }],
        shadow: null,
      },
    },
    response: null,
  },
};

async function open(permissions: string[], responses: Record<string, unknown> = {}) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/policies', name: 'policies', component: { render: () => null } },
      { path: '/policies/:id', name: 'policy', component: PolicyDetailView, props: true },
    ],
  });
  await router.push('/policies/pol_1');
  await router.isReady();
  const mounted = mountScreen(() => h(RouterView), {
    permissions,
    plugins: [router],
    responses: {
      Policy: { policy },
      PolicyVersions: { policyVersions: [version(2, V2, 'Redact emails'), version(1, V1, 'First cut')] },
      ScopeTeams: { teams: [] },
      ValidatePolicy: { testPolicy: { request: { decision: { action: 'ALLOW' } } } },
      ...responses,
    },
  });
  await settle();
  return mounted;
}

const tab = (label: string) => [...document.querySelectorAll<HTMLElement>('.n-tabs-tab')].find((t) => t.textContent?.includes(label))!;

afterEach(() => {
  document.body.innerHTML = '';
});

// Each test mounts the screen with its CodeMirror editor, which takes a while in happy-dom on a busy machine.
describe('a policy', { timeout: 15_000 }, () => {
  it('runs the editor text on a sample and shows every rule with its result and reason', async () => {
    let sent: { input: { source: string; sample: { model?: string } } } | undefined;
    const { wrapper } = await open(['policies:read', 'policies:write'], { TestPolicy: (v: typeof sent) => ((sent = v), trace) });
    tab('Test').click();
    await settle();
    await wrapper.get('[data-test="run-test"]').trigger('click');
    await settle();
    expect(sent?.input.source).toBe(V2);
    expect(sent?.input.sample.model).toBe('gpt-4o-mini');
    const result = wrapper.get('[data-test="test-result"]').text();
    expect(result).toContain('Allowed, with redactions');
    expect(result).toContain('Redacts contacts: email → placeholder');
    expect(result).toContain('no-credentials');
    expect(result).toContain('No match');
    expect(result).toContain('Matched: redacts');
    expect(result).toContain('prompt contains email');
  });

  it('shows what each version changed against the one before', async () => {
    const { wrapper } = await open(['policies:read']);
    tab('History').click();
    await settle();
    const diff = wrapper.get('[data-test="diff"]');
    expect(diff.text()).toContain('+3');
    const added = diff.findAll('[data-kind="added"]').map((l) => l.text());
    expect(added).toHaveLength(3);
    expect(added[0]).toContain('- id: contacts');
    expect(diff.findAll('[data-kind="removed"]')).toHaveLength(0);
    await wrapper.get('[data-test="version-1"]').trigger('click');
    await settle();
    expect(wrapper.find('[data-test="diff"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('First cut');
  });

  it('saves the edited text as the next version with a note', async () => {
    let sent: unknown;
    const { wrapper } = await open(['policies:read', 'policies:write'], {
      UpdatePolicy: (v: unknown) => ((sent = v), { updatePolicy: { ...policy, currentVersion: 3, source: `${V2}# reviewed\n` } }),
    });
    await typeInEditor(wrapper, `${V2}# reviewed\n`);
    await wrapper.get('.save-bar input').setValue('Reviewed by security');
    await wrapper.get('[data-test="save-policy"]').trigger('click');
    await settle();
    expect(sent).toEqual({ id: 'pol_1', source: `${V2}# reviewed\n`, format: 'YAML', note: 'Reviewed by security' });
    expect(document.body.textContent).toContain('Saved as version 3');
  });

  it('asks before switching to shadow mode', async () => {
    let calls = 0;
    await open(['policies:read', 'policies:write'], { SetPolicyShadow: () => (calls++, { setPolicyShadow: { ...policy, shadow: true } }) });
    document.querySelector<HTMLElement>('[data-test="shadow-switch"]')!.click();
    await settle();
    expect(document.body.textContent).toContain('Put Guardrails in shadow mode?');
    expect(calls).toBe(0);
    [...document.querySelectorAll<HTMLButtonElement>('.n-dialog button')].find((b) => b.textContent?.includes('Switch to shadow mode'))!.click();
    await settle();
    expect(calls).toBe(1);
  });

  it('is read-only for roles that cannot write policies', async () => {
    const { wrapper } = await open(['policies:read']);
    expect((await policyEditorView(wrapper)).state.readOnly).toBe(true);
    expect(wrapper.find('[data-test="save-policy"]').exists()).toBe(false);
    expect(wrapper.find('[data-test="delete-policy"]').exists()).toBe(false);
  });
});
