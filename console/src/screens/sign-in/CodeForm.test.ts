import { afterEach, describe, expect, it } from 'vitest';
import { mountScreen, settle } from '@/testing/mount';
import CodeForm from './CodeForm.vue';

async function requestCode(delivery: 'EMAIL' | 'TERMINAL') {
  const sent: unknown[] = [];
  const { wrapper } = mountScreen(CodeForm, {
    responses: {
      SignInCodeDelivery: { signInCodeDelivery: delivery },
      RequestSignInCode: { requestSignInCode: true },
      SignInWithCode: (v: unknown) => (sent.push(v), new Error('This sign-in code is wrong, used or expired; request a new one.')),
    },
  });
  await settle();
  const email = wrapper.get('input[name="email"]');
  await email.setValue('owner@keyward.local');
  await wrapper.get('form').trigger('submit');
  await settle();
  return { wrapper, sent };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('signing in with a code', () => {
  it('says the code was emailed when a mail server is configured', async () => {
    const { wrapper } = await requestCode('EMAIL');
    expect(wrapper.text()).toContain('We sent a 6-digit code to owner@keyward.local');
    expect(wrapper.find('[data-test="code-printed"]').exists()).toBe(false);
  });

  it('says where the code is when no mail server is configured', async () => {
    const { wrapper } = await requestCode('TERMINAL');
    expect(wrapper.get('[data-test="code-printed"]').text()).toMatch(/No mail server is configured.*printed in the terminal where\s+Keyward runs/s);
    expect(wrapper.text()).not.toContain('We sent');
  });

  it('takes digits only and submits once six are typed', async () => {
    const { wrapper, sent } = await requestCode('EMAIL');
    const code = wrapper.get('input[name="code"]');
    await code.setValue('12a');
    await settle();
    expect(sent).toEqual([]);
    await code.setValue('123456');
    await settle();
    expect(sent).toEqual([{ email: 'owner@keyward.local', code: '123456' }]);
  });
});
