import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import { Metrics } from '@app/observability';
import { MfaException } from './mfa.exception';

/**
 * `verify`: the password was right and the account has MFA; a code completes the sign-in.
 * `enroll`: the organization requires MFA and the user has none; the token opens only the
 * enrolment routes, and POST auth/mfa/verify once enrolled.
 */
export type MfaChallengeKind = 'verify' | 'enroll';

/** How the first factor was given: the session opened after the code records it. */
export type FirstFactor = 'password' | 'sso';

export interface MfaChallenge {
  /** SHA-256 of the token: the store never holds the token itself. */
  id: string;
  kind: MfaChallengeKind;
  userId: string;
  organizationId: string;
  firstFactor: FirstFactor;
}

interface StoredChallenge {
  kind: MfaChallengeKind;
  userId: string;
  organizationId: string;
  userAgent: string | null;
  /** Absent in challenges stored before single sign-on existed: those were passwords. */
  firstFactor?: FirstFactor;
}

/** Prefix of MFA tokens, so the guard can tell them from JWTs without a store lookup. */
const TOKEN_PREFIX = 'mfa_';
export const MFA_CHALLENGE_TTL_SECONDS = 300;
/** Wrong codes one challenge survives; the next wrong one ends it. */
export const MFA_MAX_ATTEMPTS_PER_CHALLENGE = 5;
/** Wrong codes per user per window over all challenges, so signing in again does not reset it. */
export const MFA_MAX_FAILURES_PER_USER = 20;
const USER_FAILURE_WINDOW_SECONDS = 60 * 60;

const keys = {
  challenge: (id: string) => `mfa:challenge:${id}`,
  attempts: (id: string) => `mfa:challenge-attempts:${id}`,
  redeemed: (id: string) => `mfa:challenge-redeemed:${id}`,
  userFailures: (userId: string) => `mfa:user-failures:${userId}`,
  /** When the user's failure window ends (epoch ms), kept once the budget is spent. */
  userBlockedUntil: (userId: string) => `mfa:user-blocked-until:${userId}`,
};

export function isMfaToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

/**
 * MFA challenges: opaque random tokens in the shared store, so every instance knows them and
 * none of them can ever pass as an access token (they are not JWTs). A challenge is bound to
 * the user, the organization chosen at login and the client's user agent; it expires after
 * five minutes, is redeemed once, and dies after too many wrong codes. The IP address is not
 * bound: a phone may change networks between the password and the code.
 */
@Injectable()
export class MfaChallenges {
  private readonly logger = new Logger(MfaChallenges.name);

  constructor(
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly metrics: Metrics,
  ) {}

  async issue(
    kind: MfaChallengeKind,
    userId: string,
    organizationId: string,
    userAgent: string | null,
    firstFactor: FirstFactor = 'password',
  ): Promise<{ token: string; expiresIn: number }> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const stored: StoredChallenge = { kind, userId, organizationId, userAgent, firstFactor };
    await this.store.set(
      keys.challenge(hashToken(token)),
      JSON.stringify(stored),
      MFA_CHALLENGE_TTL_SECONDS,
    );

    return { token, expiresIn: MFA_CHALLENGE_TTL_SECONDS };
  }

  /** The live challenge of a token presented by the same client, or MFA_INVALID_CHALLENGE. */
  async find(token: string, userAgent: string | null): Promise<MfaChallenge> {
    if (!isMfaToken(token)) throw new MfaException('MFA_INVALID_CHALLENGE');
    const id = hashToken(token);
    const raw = await this.store.get(keys.challenge(id));
    if (raw === null) throw new MfaException('MFA_INVALID_CHALLENGE');
    const stored = JSON.parse(raw) as StoredChallenge;
    if (stored.userAgent !== userAgent) {
      this.logger.warn({ event: 'mfa_challenge_client_mismatch', user_id: stored.userId });
      throw new MfaException('MFA_INVALID_CHALLENGE');
    }

    return {
      id,
      kind: stored.kind,
      userId: stored.userId,
      organizationId: stored.organizationId,
      firstFactor: stored.firstFactor ?? 'password',
    };
  }

  /** An `enroll` challenge, for the enrolment routes; a `verify` one is refused there. */
  async findEnrollment(token: string, userAgent: string | null): Promise<MfaChallenge> {
    const challenge = await this.find(token, userAgent);
    if (challenge.kind !== 'enroll') throw new MfaException('MFA_INVALID_CHALLENGE');

    return challenge;
  }

  /** Refuses before checking a code once the user has had too many wrong ones lately. */
  async checkUserBudget(userId: string): Promise<void> {
    const [failures, blockedUntil] = await this.store.getMany([
      keys.userFailures(userId),
      keys.userBlockedUntil(userId),
    ]);
    if (Number(failures ?? 0) < MFA_MAX_FAILURES_PER_USER) return;

    // The route's per-IP headers would tell the client it may go on; this limit is the one
    // to wait for, until the user's failure window ends.
    const refusal = new MfaException('MFA_TOO_MANY_ATTEMPTS');
    this.metrics.rateLimited('mfa_user');
    const remainingMs = blockedUntil ? Number(blockedUntil) - Date.now() : NaN;
    refusal.rateLimit = {
      allowed: false,
      limit: MFA_MAX_FAILURES_PER_USER,
      remaining: 0,
      resetSeconds: Number.isFinite(remainingMs)
        ? Math.max(1, Math.ceil(remainingMs / 1000))
        : USER_FAILURE_WINDOW_SECONDS,
    };
    throw refusal;
  }

  /**
   * Counts a wrong code against the challenge and the user. The counters are atomic, so
   * parallel guesses cannot overshoot: the guess that reaches the limit deletes the challenge.
   */
  async recordFailure(challenge: MfaChallenge): Promise<void> {
    const [attempts, userFailures] = await Promise.all([
      this.store.increment(keys.attempts(challenge.id), MFA_CHALLENGE_TTL_SECONDS),
      this.store.incrementInWindow(
        keys.userFailures(challenge.userId),
        USER_FAILURE_WINDOW_SECONDS,
      ),
    ]);
    if (userFailures.count >= MFA_MAX_FAILURES_PER_USER) {
      // Remembered so the refusals until the window ends can say when it ends.
      await this.store.set(
        keys.userBlockedUntil(challenge.userId),
        String(Date.now() + userFailures.remainingMs),
        Math.max(1, Math.ceil(userFailures.remainingMs / 1000)),
      );
    }
    if (attempts >= MFA_MAX_ATTEMPTS_PER_CHALLENGE) {
      await this.store.delete(keys.challenge(challenge.id));
      this.logger.warn({ event: 'mfa_challenge_exhausted', user_id: challenge.userId });
    }
  }

  /** Attempts the challenge still has, for a guess racing the one that used the last. */
  async attemptsLeft(challenge: MfaChallenge): Promise<boolean> {
    const attempts = Number((await this.store.get(keys.attempts(challenge.id))) ?? 0);

    return attempts < MFA_MAX_ATTEMPTS_PER_CHALLENGE;
  }

  /** Spends the challenge; false when another request already did. */
  async redeem(challenge: MfaChallenge): Promise<boolean> {
    const first = await this.store.setIfAbsent(
      keys.redeemed(challenge.id),
      '1',
      MFA_CHALLENGE_TTL_SECONDS,
    );
    if (first) await this.store.delete(keys.challenge(challenge.id));

    return first;
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
