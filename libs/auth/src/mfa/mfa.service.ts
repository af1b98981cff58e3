import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Secret, TOTP } from 'otpauth';
import { toDataURL } from 'qrcode';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import { SecretCipher } from '@app/crypto';
import { UsersService } from '@app/users';
import { MfaStatusDto, RecoveryCodesDto, TotpEnrollmentDto } from './dto/mfa.dto';
import { MfaException } from './mfa.exception';
import { MfaSubject } from './mfa-subject';
import { RecoveryCode } from './recovery-code.entity';
import { TotpFactor } from './totp-factor.entity';

const ISSUER = 'FaultMaven';
const PERIOD_SECONDS = 30;
/** One step either side: clocks drift, and a code typed at the end of its step still counts. */
const WINDOW = 1;
const ENROLLMENT_TTL_SECONDS = 10 * 60;
const RECOVERY_CODE_COUNT = 10;
/** A used step is remembered past the last moment the window could accept it again. */
const USED_STEP_TTL_SECONDS = PERIOD_SECONDS * (2 * WINDOW + 2);

export type SecondFactorMethod = 'totp' | 'recovery_code';

/** The SecretCipher context of a user's TOTP secret: a ciphertext only opens in its own row. */
export const totpCipherContext = (userId: string) => `totp:${userId}`;

function totpOf(secret: Secret, email = ''): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: email,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret,
  });
}

/** Upper-case letters and digits only, so `abcd-efgh ...` and `ABCDEFGH...` are one code. */
function normalizeCode(code: string): string {
  return code.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeCode(code), 'utf8').digest('hex');
}

/** 80 random bits as 16 base32 characters, shown in groups of four. */
function newRecoveryCode(): string {
  const raw = new Secret({ size: 10 }).base32.toLowerCase();

  return raw.match(/.{4}/g)!.join('-');
}

/**
 * TOTP enrolment and the checking of second-factor codes. Secrets are kept encrypted with
 * SecretCipher and decrypted only to check a code; recovery codes only as hashes. A TOTP
 * code is accepted once: its time step is claimed in the shared store per user, atomically,
 * so a replay (even a parallel one) of the same code within its window is refused.
 */
@Injectable()
export class MfaService {
  private readonly logger = new Logger(MfaService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(TotpFactor) private readonly factors: Repository<TotpFactor>,
    @InjectRepository(RecoveryCode) private readonly recoveryCodes: Repository<RecoveryCode>,
    private readonly cipher: SecretCipher,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async isEnabled(userId: string, manager?: EntityManager): Promise<boolean> {
    const repository = manager ? manager.getRepository(TotpFactor) : this.factors;
    const factor = await repository.findOneBy({ userId });

    return factor?.enabledAt != null;
  }

  async status(subject: MfaSubject): Promise<MfaStatusDto> {
    const [factor, remaining] = await Promise.all([
      this.factors.findOneBy({ userId: subject.userId }),
      this.recoveryCodes
        .createQueryBuilder('code')
        .where('code.userId = :userId AND code.usedAt IS NULL', { userId: subject.userId })
        .getCount(),
    ]);
    const enabled = factor?.enabledAt != null;

    return {
      enabled,
      enabled_at: factor?.enabledAt ? factor.enabledAt.toISOString() : null,
      enrollment_pending:
        !enabled && factor?.pendingExpiresAt != null && factor.pendingExpiresAt > new Date(),
      recovery_codes_remaining: enabled ? remaining : 0,
    };
  }

  /** A new pending secret (replacing an unconfirmed one); MFA is on only after confirm. */
  async startEnrollment(subject: MfaSubject): Promise<TotpEnrollmentDto> {
    const user = await this.users.findById(subject.userId);
    if (!user?.isActive) throw new MfaException('MFA_INVALID_CHALLENGE');
    if (await this.isEnabled(subject.userId)) throw new MfaException('MFA_ALREADY_ENABLED');

    const secret = new Secret({ size: 20 });
    const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_SECONDS * 1000);
    await this.factors.upsert(
      {
        userId: subject.userId,
        pendingSecretEncrypted: this.cipher.encrypt(
          secret.base32,
          totpCipherContext(subject.userId),
        ),
        pendingExpiresAt: expiresAt,
      },
      ['userId'],
    );
    const uri = totpOf(secret, user.email).toString();

    return {
      secret: secret.base32,
      otpauth_uri: uri,
      qr_code: await toDataURL(uri, { errorCorrectionLevel: 'M' }),
      expires_in: ENROLLMENT_TTL_SECONDS,
    };
  }

  /** A current code proves the authenticator holds the secret: MFA is on, codes issued. */
  async confirmEnrollment(
    subject: MfaSubject,
    code: string,
    actor: AuditContext,
  ): Promise<RecoveryCodesDto> {
    const codes = await this.dataSource.transaction(async (manager) => {
      const factor = await this.lockFactor(manager, subject.userId);
      if (factor?.enabledAt) throw new MfaException('MFA_ALREADY_ENABLED');
      if (!factor?.pendingSecretEncrypted || !factor.pendingExpiresAt) {
        throw new MfaException('MFA_ENROLLMENT_NOT_STARTED');
      }
      if (factor.pendingExpiresAt <= new Date()) {
        throw new MfaException('MFA_ENROLLMENT_NOT_STARTED');
      }
      if (!(await this.checkTotp(subject.userId, factor.pendingSecretEncrypted, code))) {
        throw new MfaException('MFA_CODE_REJECTED');
      }

      await manager.getRepository(TotpFactor).update(
        { userId: subject.userId },
        {
          secretEncrypted: factor.pendingSecretEncrypted,
          enabledAt: new Date(),
          pendingSecretEncrypted: null,
          pendingExpiresAt: null,
        },
      );
      const issued = await this.replaceRecoveryCodes(manager, subject.userId);
      await this.audit.record(manager, actor, {
        action: 'mfa.enrolled',
        outcome: 'success',
        organizationId: subject.organizationId,
        actorUserId: subject.userId,
        targetType: 'user',
        targetId: subject.userId,
        details: { method: 'totp', via_enrollment_token: subject.enrollmentOnly },
      });

      return issued;
    });
    this.logger.log({ event: 'mfa_enrolled', user_id: subject.userId });

    return { recovery_codes: codes };
  }

  /** Turns MFA off; needs a current code or a recovery code, never only the session. */
  async disable(subject: MfaSubject, code: string, actor: AuditContext): Promise<void> {
    await this.withSecondFactor(subject, code, actor, async (manager) => {
      await manager.getRepository(RecoveryCode).delete({ userId: subject.userId });
      await manager.getRepository(TotpFactor).delete({ userId: subject.userId });
      await this.audit.record(manager, actor, {
        action: 'mfa.disabled',
        outcome: 'success',
        organizationId: subject.organizationId,
        actorUserId: subject.userId,
        targetType: 'user',
        targetId: subject.userId,
      });
    });
    this.logger.log({ event: 'mfa_disabled', user_id: subject.userId });
  }

  /** New recovery codes replace every old one, used or not. */
  async regenerateRecoveryCodes(
    subject: MfaSubject,
    code: string,
    actor: AuditContext,
  ): Promise<RecoveryCodesDto> {
    const codes = await this.withSecondFactor(subject, code, actor, async (manager) => {
      const issued = await this.replaceRecoveryCodes(manager, subject.userId);
      await this.audit.record(manager, actor, {
        action: 'mfa.recovery_codes_regenerated',
        outcome: 'success',
        organizationId: subject.organizationId,
        actorUserId: subject.userId,
        targetType: 'user',
        targetId: subject.userId,
      });

      return issued;
    });

    return { recovery_codes: codes };
  }

  /**
   * Checks a TOTP or recovery code of a user with MFA inside the caller's transaction. A
   * recovery code is spent there (and audited), so it is spent exactly when the caller's
   * change commits. Null for a wrong, replayed or used code.
   */
  async verifyCode(
    manager: EntityManager,
    userId: string,
    organizationId: string,
    code: string,
    actor: AuditContext,
  ): Promise<SecondFactorMethod | null> {
    const factor = await manager
      .getRepository(TotpFactor)
      .createQueryBuilder('factor')
      .addSelect('factor.secretEncrypted')
      .where('factor.userId = :userId', { userId })
      .getOne();
    if (!factor?.enabledAt || !factor.secretEncrypted) return null;

    if (/^\d{6}$/.test(code.replace(/\s/g, ''))) {
      return (await this.checkTotp(userId, factor.secretEncrypted, code)) ? 'totp' : null;
    }
    const spent = await manager.query<Array<{ id: string }>>(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
      [userId, hashRecoveryCode(code)],
    );
    // node-postgres answers UPDATE ... RETURNING as [rows, count] through TypeORM.
    const rows = (Array.isArray(spent[0]) ? spent[0] : spent) as Array<{ id: string }>;
    if (rows.length === 0) return null;
    const remaining = await manager
      .getRepository(RecoveryCode)
      .createQueryBuilder('code')
      .where('code.userId = :userId AND code.usedAt IS NULL', { userId })
      .getCount();
    await this.audit.record(manager, actor, {
      action: 'mfa.recovery_code_used',
      outcome: 'success',
      organizationId,
      actorUserId: userId,
      targetType: 'user',
      targetId: userId,
      details: { recovery_codes_remaining: remaining },
    });

    return 'recovery_code';
  }

  private async withSecondFactor<T>(
    subject: MfaSubject,
    code: string,
    actor: AuditContext,
    change: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const factor = await this.lockFactor(manager, subject.userId);
      if (!factor?.enabledAt) throw new MfaException('MFA_NOT_ENABLED');
      const method = await this.verifyCode(
        manager,
        subject.userId,
        subject.organizationId,
        code,
        actor,
      );
      if (!method) throw new MfaException('MFA_CODE_REJECTED');

      return change(manager);
    });
  }

  private lockFactor(manager: EntityManager, userId: string): Promise<TotpFactor | null> {
    return manager
      .getRepository(TotpFactor)
      .createQueryBuilder('factor')
      .addSelect(['factor.secretEncrypted', 'factor.pendingSecretEncrypted'])
      .where('factor.userId = :userId', { userId })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** True for a code of the secret in the window whose time step this user has not used. */
  private async checkTotp(userId: string, secretEncrypted: string, code: string): Promise<boolean> {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return false;
    const secret = Secret.fromBase32(
      this.cipher.decrypt(secretEncrypted, totpCipherContext(userId)),
    );
    const totp = totpOf(secret);
    const now = Date.now();
    const delta = totp.validate({ token, timestamp: now, window: WINDOW });
    if (delta === null) return false;

    const step = totp.counter({ timestamp: now }) + delta;

    return this.store.setIfAbsent(`mfa:totp-step:${userId}:${step}`, '1', USED_STEP_TTL_SECONDS);
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const repository = manager.getRepository(RecoveryCode);
    await repository.delete({ userId });
    await repository.insert(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));

    return codes;
  }
}
