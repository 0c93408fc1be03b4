import type { MailMessage } from './mailer.js';

/** The email carrying a sign-in code. The code is in the body only, never the subject. */
export function signInCodeMessage(to: string, code: string, minutes: number): MailMessage {
  return {
    to,
    subject: 'Your Keyward sign-in code',
    text: [
      `Your Keyward sign-in code is: ${code}`,
      '',
      `It works once and expires in ${minutes} minutes.`,
      'If you did not ask for it, ignore this email: nobody can sign in without the code.',
    ].join('\n'),
  };
}

/** The email inviting someone to an organization. */
export function invitationMessage(to: string, input: { orgName: string; inviterName: string; role: string; link: string; days: number }): MailMessage {
  return {
    to,
    subject: `${input.inviterName} invited you to ${input.orgName} on Keyward`,
    text: [
      `${input.inviterName} invited you to join ${input.orgName} on Keyward as ${input.role}.`,
      '',
      `Accept the invitation: ${input.link}`,
      '',
      `The link works once and expires in ${input.days} days.`,
    ].join('\n'),
  };
}

/** The email carrying the code that confirms a new address. The code is in the body only. */
export function emailChangeCodeMessage(to: string, code: string, minutes: number): MailMessage {
  return {
    to,
    subject: 'Confirm your new Keyward email address',
    text: [
      `Your Keyward confirmation code is: ${code}`,
      '',
      `Type it on your account page to make ${to} the address you sign in with. It works once and expires in ${minutes} minutes.`,
      'If you did not ask for this, ignore this email: nothing changes without the code.',
    ].join('\n'),
  };
}

/** The notice to the old address once the email of an account changed. */
export function emailChangedMessage(to: string, newEmail: string): MailMessage {
  return {
    to,
    subject: 'Your Keyward email address was changed',
    text: [
      `The Keyward account that used ${to} now signs in with ${newEmail}.`,
      '',
      'If you did not make this change, contact an owner of your organization at once: someone else may be using your account.',
    ].join('\n'),
  };
}

/** The email carrying a pool key's delivery link. The link is in the body only; the key is never in an email. */
export function poolKeyLinkMessage(to: string, input: { orgName: string; poolName: string; link: string; hours: number; note: string | null }): MailMessage {
  return {
    to,
    subject: `Your Keyward key for ${input.poolName}`,
    text: [
      `${input.orgName} gave you a Keyward key (pool "${input.poolName}").`,
      '',
      `Open this link to see your key: ${input.link}`,
      '',
      `The link works once and expires in ${input.hours} hours. The key is shown when you open it and never again, so copy it then.`,
      ...(input.note ? ['', `A note from ${input.orgName}:`, input.note] : []),
    ].join('\n'),
  };
}

/** The email carrying the code that opens a pool recipient's own page. The code is in the body only. */
export function recipientCodeMessage(to: string, code: string, minutes: number): MailMessage {
  return {
    to,
    subject: 'Your code for your Keyward key page',
    text: [
      `Your code is: ${code}`,
      '',
      `Type it on the page where you asked for it to see your Keyward keys, their limits and spend. It works once and expires in ${minutes} minutes.`,
      'If you did not ask for it, ignore this email: nobody can open the page without the code.',
    ].join('\n'),
  };
}
