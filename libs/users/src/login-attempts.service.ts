import { Inject, Injectable } from '@nestjs/common';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import { RateLimiter } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { emailDigest } from './email';

/** A login attempt that has been counted; pass it back to `failed` or `succeeded`. */
export interface LoginAttempt {
  /** False: the account is locked, and its password must not be checked. */
  allowed: boolean;
  /** The attempt's place in the current window of attempts on this email. */
  readonly number: number;
  readonly key: string;
}

/**
 * Brute-force defences of password login, keyed on the normalised email (so case variants
 * count together) and applied alike to unknown emails (so a lockout says nothing about
 * whether an account exists). Shared by every instance through the store.
 *
 * An attempt is counted BEFORE its password is checked: parallel guesses each take a number
 * from one atomic counter, and only numbers up to MAX_LOGIN_ATTEMPTS may verify, so no burst
 * can get more verifications than that. A success clears the counter; the failure that
 * reaches the maximum turns it into a lock lasting ACCOUNT_LOCKOUT_DURATION_MINUTES.
 */
@Injectable()
export class LoginAttemptsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * Counts an attempt on `email`. Throws RATE_LIMITED past the per-account rate limit;
   * returns `allowed: false` when the account is locked.
   */
  async begin(email: string): Promise<LoginAttempt> {
    const id = emailDigest(email);
    await this.limiter.enforce(
      `login:account:${id}`,
      this.config.rateLimits.loginPerAccountPerMinute,
      60,
    );
    const key = failuresKey(id);
    const number = await this.store.increment(key, this.config.lockout.windowSeconds);

    return { allowed: number <= this.config.lockout.maxAttempts, number, key };
  }

  /** Records a failed attempt; true when this failure locked the account. */
  async failed(attempt: LoginAttempt): Promise<boolean> {
    const { maxAttempts, durationSeconds } = this.config.lockout;
    if (!attempt.allowed || attempt.number !== maxAttempts) return false;
    // Keeping the count at the maximum keeps every later attempt over it until the key
    // expires, a full lockout duration after this failure.
    await this.store.set(attempt.key, String(maxAttempts), durationSeconds);

    return true;
  }

  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.store.delete(attempt.key);
  }

  /** Whether the account is locked now. Reads only; counts no attempt. */
  async isLocked(email: string): Promise<boolean> {
    const count = await this.store.get(failuresKey(emailDigest(email)));

    return count !== null && Number(count) >= this.config.lockout.maxAttempts;
  }

  /**
   * Unlocks the account and forgets its failed attempts: for an administrator's unlock and
   * for a completed password reset, which proves control of the mailbox.
   */
  async clear(email: string): Promise<void> {
    await this.store.delete(failuresKey(emailDigest(email)));
  }
}

function failuresKey(id: string): string {
  return `login:failures:${id}`;
}
