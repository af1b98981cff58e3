import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { AccountToken, AccountTokenPurpose } from './account-token.entity';

/** Why a presented token cannot be spent. */
export type AccountTokenRefusal = 'unknown' | 'expired' | 'used';

export type ClaimResult =
  { ok: true; token: AccountToken } | { ok: false; reason: AccountTokenRefusal };

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Single-use tokens mailed to users (password reset, email verification): 32 random bytes,
 * of which only the SHA-256 is stored, so a copy of the database yields no usable link.
 */
@Injectable()
export class AccountTokensService {
  /** Stores a new token inside the caller's transaction and returns it, the only time. */
  async issue(
    manager: EntityManager,
    userId: string,
    purpose: AccountTokenPurpose,
    ttlSeconds: number,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await manager.getRepository(AccountToken).insert({
      userId,
      purpose,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    });

    return token;
  }

  /** Reads a token without locking it, to refuse a bad one before slow work. */
  inspect(
    manager: EntityManager,
    token: string,
    purpose: AccountTokenPurpose,
  ): Promise<ClaimResult> {
    return this.check(manager, token, purpose, false);
  }

  /**
   * Locks the token's row until the transaction ends and checks it is unused and unexpired;
   * of two requests spending one token, the second waits and then sees it used.
   */
  claim(manager: EntityManager, token: string, purpose: AccountTokenPurpose): Promise<ClaimResult> {
    return this.check(manager, token, purpose, true);
  }

  /** Spends every unused token of the user for this purpose, the claimed one included. */
  async spendAll(
    manager: EntityManager,
    userId: string,
    purpose: AccountTokenPurpose,
  ): Promise<void> {
    await manager
      .getRepository(AccountToken)
      .update({ userId, purpose, usedAt: IsNull() }, { usedAt: new Date() });
  }

  private async check(
    manager: EntityManager,
    token: string,
    purpose: AccountTokenPurpose,
    lock: boolean,
  ): Promise<ClaimResult> {
    let query = manager
      .getRepository(AccountToken)
      .createQueryBuilder('token')
      .where('token.tokenHash = :hash AND token.purpose = :purpose', {
        hash: hashToken(token),
        purpose,
      });
    if (lock) query = query.setLock('pessimistic_write');
    const found = await query.getOne();
    if (!found) return { ok: false, reason: 'unknown' };
    if (found.usedAt) return { ok: false, reason: 'used' };
    if (found.expiresAt <= new Date()) return { ok: false, reason: 'expired' };

    return { ok: true, token: found };
  }
}
