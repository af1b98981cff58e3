/** A mail ready to send: one recipient, plain text and HTML bodies. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What a mail is about: logged instead of its recipient or content. */
export type MailKind = 'password_reset' | 'email_verification';

/** A mail prepared inside a transaction, to hand to MailService once it committed. */
export interface OutgoingMail {
  kind: MailKind;
  /** Logged in place of the address. */
  userId: string;
  message: MailMessage;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function compose(
  to: string,
  subject: string,
  greeting: string,
  lines: string[],
  link: string,
): MailMessage {
  const text = [`Hello ${greeting},`, '', ...lines, '', link, ''].join('\n');
  const html = [
    `<p>Hello ${escapeHtml(greeting)},</p>`,
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
  ].join('\n');

  return { to, subject, text, html };
}

export function passwordResetMessage(
  to: string,
  firstName: string,
  link: string,
  ttlMinutes: number,
): MailMessage {
  return compose(
    to,
    'Reset your FaultMaven password',
    firstName,
    [
      'Someone asked to reset the password of your FaultMaven account. If it was you, open the ' +
        `link below within ${ttlMinutes} minutes to choose a new password; it works once.`,
      'If it was not you, ignore this mail: your password stays as it is.',
    ],
    link,
  );
}

export function emailVerificationMessage(
  to: string,
  firstName: string,
  link: string,
  ttlHours: number,
): MailMessage {
  return compose(
    to,
    'Confirm your email address for FaultMaven',
    firstName,
    [
      `Open the link below within ${ttlHours} hours to confirm that this address is yours.`,
      'If you did not create a FaultMaven account, ignore this mail.',
    ],
    link,
  );
}
