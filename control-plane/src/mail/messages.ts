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
