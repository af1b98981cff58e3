import { Injectable } from '@nestjs/common';
import { RateLimiter } from '@app/common';
import { emailDigest } from '@app/users';

/** Mails of one kind that the public routes may send one address in an hour. */
export const ACCOUNT_MAILS_PER_HOUR = 5;

/**
 * Caps the mails anyone can make the service send to one address (`auth/password/forgot`,
 * `auth/email/resend`), so those routes cannot flood a mailbox from many IPs. Unknown
 * addresses are counted alike, and a route over the cap answers exactly as under it, so the
 * cap reveals nothing about which addresses have accounts.
 */
@Injectable()
export class AccountMailBudget {
  constructor(private readonly limiter: RateLimiter) {}

  async allows(kind: 'password_reset' | 'email_verification', email: string): Promise<boolean> {
    const state = await this.limiter.consume(
      `mail:${kind}:${emailDigest(email)}`,
      ACCOUNT_MAILS_PER_HOUR,
      60 * 60,
    );

    return state.allowed;
  }
}
