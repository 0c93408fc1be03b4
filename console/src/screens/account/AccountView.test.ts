import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { AccountQuery } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import AccountView from './AccountView.vue';

/** The routes the account page leaves for: sign-in, after the account is deleted. */
const testRouter = () =>
  createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/login', name: 'sign-in', component: { render: () => null } },
    ],
  });

type Account = AccountQuery['account'];

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

function account(overrides: Partial<Account> = {}): { account: Account } {
  return {
    account: {
      hasPassword: true,
      canSetFirstPassword: false,
      user: { id: 'user_1', name: 'Dana Operator', email: 'dana@example.com' },
      sessions: [
        {
          id: 'ses_here',
          createdAt: '2026-11-23T09:00:00Z',
          lastSeenAt: '2026-11-23T12:00:00Z',
          expiresAt: '2026-12-07T09:00:00Z',
          userAgent: CHROME,
          current: true,
        },
        {
          id: 'ses_phone',
          createdAt: '2026-11-20T09:00:00Z',
          lastSeenAt: '2026-11-21T08:00:00Z',
          expiresAt: '2026-12-04T09:00:00Z',
          userAgent: SAFARI,
          current: false,
        },
      ],
      ...overrides,
    },
  };
}

const DELIVERY = { SignInCodeDelivery: { signInCodeDelivery: 'EMAIL' } };

const find = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector);

async function type(name: string, value: string) {
  const input = find<HTMLInputElement>(`input[name="${name}"]`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await settle();
}

/** Presses the confirm button of the open dialog. */
async function confirmDialog() {
  const buttons = Array.from(document.querySelectorAll<HTMLButtonElement>('.n-dialog__action button'));
  buttons[buttons.length - 1]!.click();
  await settle();
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('your account', () => {
  it('shows your name, your email (changed only through a code), and where you are signed in', async () => {
    const { wrapper } = mountScreen(AccountView, { plugins: [testRouter()], responses: { ...DELIVERY, Account: account() } });
    await settle();
    expect(find<HTMLInputElement>('input[name="name"]')!.value).toBe('Dana Operator');
    const email = find<HTMLInputElement>('input[name="email"]')!;
    expect(email.value).toBe('dana@example.com');
    expect(email.readOnly).toBe(true);
    expect(wrapper.get('[data-test="email-note"]').text()).toContain('confirmed with a code sent to it');
    expect(wrapper.get('[data-test="session-current"]').text()).toContain('Chrome on Linux');
    expect(wrapper.get('[data-test="session-current"]').text()).toContain('This browser');
    expect(wrapper.get('[data-test="session"]').text()).toContain('Safari on iOS');
  });

  it('saves a new name', async () => {
    let sent: unknown;
    mountScreen(AccountView, {
      plugins: [testRouter()],
      responses: { ...DELIVERY, Account: account(), UpdateAccount: (v: unknown) => ((sent = v), { updateAccount: { id: 'user_1', name: 'Dana O.' } }) },
    });
    await settle();
    await type('name', '  Dana O. ');
    find('[data-test="save-name"]')!.click();
    await settle();
    expect(sent).toEqual({ name: 'Dana O.' });
  });

  it('asks for the current password to change one, and only submits two matching new ones', async () => {
    let sent: unknown;
    mountScreen(AccountView, {
      plugins: [testRouter()],
      responses: { ...DELIVERY, Account: account(), ChangePassword: (v: unknown) => ((sent = v), { changePassword: true }) },
    });
    await settle();
    const save = find<HTMLButtonElement>('[data-test="save-password"]')!;
    expect(save.textContent).toContain('Change password');
    await type('current-password', 'Old-password-1');
    await type('new-password', 'New-password-22');
    await type('repeat-password', 'New-password-2');
    expect(save.disabled).toBe(true);
    expect(document.body.textContent).toContain('The two passwords differ');
    await type('repeat-password', 'New-password-22');
    expect(save.disabled).toBe(false);
    save.click();
    await settle();
    expect(sent).toEqual({ currentPassword: 'Old-password-1', newPassword: 'New-password-22' });
    expect(find<HTMLInputElement>('input[name="new-password"]')!.value).toBe('');
  });

  it('sets a first password without a current one right after signing in, and shows the server’s refusal', async () => {
    let sent: unknown;
    const refusal = Object.assign(new Error('The password must be at least 12 characters.'), { extensions: { code: 'BAD_USER_INPUT' } });
    mountScreen(AccountView, {
      plugins: [testRouter()],
      responses: { ...DELIVERY, Account: account({ hasPassword: false, canSetFirstPassword: true }), ChangePassword: (v: unknown) => ((sent = v), refusal) },
    });
    await settle();
    expect(find('input[name="current-password"]')).toBeNull();
    expect(find('[data-test="save-password"]')!.textContent).toContain('Set password');
    await type('new-password', 'short');
    await type('repeat-password', 'short');
    find('[data-test="save-password"]')!.click();
    await settle();
    expect(sent).toEqual({ currentPassword: null, newPassword: 'short' });
    expect(find('[data-test="password"] [role="alert"]')!.textContent).toContain('at least 12 characters');
  });

  it('tells a person without a password to sign in again when their sign-in is no longer recent', async () => {
    mountScreen(AccountView, { plugins: [testRouter()], responses: { ...DELIVERY, Account: account({ hasPassword: false, canSetFirstPassword: false }) } });
    await settle();
    expect(find('[data-test="password-reauth"]')!.textContent).toContain('sign in again with an emailed code');
    expect(find('input[name="new-password"]')).toBeNull();
  });

  it('signs one other browser out, or every other one, after asking', async () => {
    const calls: string[] = [];
    mountScreen(AccountView, {
      plugins: [testRouter()],
      responses: {
        ...DELIVERY,
        Account: account(),
        SignOutSession: (v: { id: string }) => (calls.push(`one:${v.id}`), { signOutSession: true }),
        SignOutOtherSessions: () => (calls.push('others'), { signOutOtherSessions: 1 }),
      },
    });
    await settle();
    expect(find('[data-test="session-current"] [data-test="sign-out-session"]')).toBeNull();
    find('[data-test="session"] [data-test="sign-out-session"]')!.click();
    await settle();
    expect(document.body.textContent).toContain('Sign this browser out?');
    await confirmDialog();
    find('[data-test="sign-out-others"]')!.click();
    await settle();
    expect(document.body.textContent).toContain('Sign out everywhere else?');
    await confirmDialog();
    expect(calls).toEqual(['one:ses_phone', 'others']);
  });

  it('changes the email in two steps: the new address with the current password, then the code sent there', async () => {
    const sent: unknown[] = [];
    mountScreen(AccountView, {
      plugins: [testRouter()],
      responses: {
        ...DELIVERY,
        Account: account(),
        RequestEmailChange: (v: unknown) => (sent.push(v), { requestEmailChange: true }),
        ConfirmEmailChange: (v: unknown) => (sent.push(v), { confirmEmailChange: { id: 'user_1', email: 'dana@new.example.com' } }),
      },
    });
    await settle();
    find('[data-test="change-email"]')!.click();
    await settle();
    await type('new-email', 'dana@new.example.com');
    expect(find<HTMLButtonElement>('[data-test="send-email-code"]')!.disabled).toBe(true);
    await type('email-change-password', 'Old-password-1');
    find('[data-test="send-email-code"]')!.click();
    await settle();
    expect(find('[data-test="email-code-sent"]')!.textContent).toContain('We sent a 6-digit code to dana@new.example.com');
    await type('email-code', '123456');
    find('[data-test="confirm-email"]')!.click();
    await settle();
    expect(sent).toEqual([{ newEmail: 'dana@new.example.com', currentPassword: 'Old-password-1' }, { code: '123456' }]);
    expect(document.body.textContent).toContain('Your email is now dana@new.example.com');
  });
});
