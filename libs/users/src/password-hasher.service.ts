import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { CommonException } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BoundedConcurrency, ConcurrencyLimitExceededError } from './bounded-concurrency';
import { lowerThreadPoolPriority } from './thread-pool-priority';

/**
 * Hashes are `bcrypt-sha256$<bcrypt hash of base64(SHA-256(password))>`. bcrypt reads only the
 * first 72 bytes of its input; hashing first means every byte of a long password counts.
 */
const PREFIX = 'bcrypt-sha256$';
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
/** Nice value of the threads that hash: below the event loop's, see lowerThreadPoolPriority. */
const HASHING_NICENESS = 10;

export interface VerifyResult {
  valid: boolean;
  /** The hash uses another cost or format than configured and should be replaced. */
  needsRehash: boolean;
}

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

/**
 * Password hashing on libuv's thread pool (bcrypt's async API), never on the event loop, with
 * bounded concurrency: beyond the queue limit a request is refused with 503 instead of waiting.
 * The pool's threads run at a lower CPU priority than the event loop.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly logger = new Logger(PasswordHasher.name);
  private readonly limiter: BoundedConcurrency;
  private readonly rounds: number;
  private dummyHash?: Promise<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.rounds = config.hashing.bcryptRounds;
    this.limiter = new BoundedConcurrency(config.hashing.concurrency, config.hashing.queueLimit);
  }

  async onModuleInit(): Promise<void> {
    const threads = await lowerThreadPoolPriority(HASHING_NICENESS);
    this.logger.log({ event: 'hashing_priority_lowered', threads, niceness: HASHING_NICENESS });
  }

  hash(password: string): Promise<string> {
    return this.limited(async () => PREFIX + (await bcrypt.hash(prehash(password), this.rounds)));
  }

  async verify(password: string, stored: string): Promise<VerifyResult> {
    const prehashed = stored.startsWith(PREFIX);
    const bcryptHash = prehashed ? stored.slice(PREFIX.length) : stored;
    // A stored value that is not a bcrypt hash (a damaged import, say) matches no password;
    // the same work is spent as for a real one so the answer takes as long.
    if (!BCRYPT_HASH.test(bcryptHash)) {
      await this.verifyDummy(password);
      return { valid: false, needsRehash: true };
    }
    const valid = await this.limited(() =>
      bcrypt.compare(prehashed ? prehash(password) : password, bcryptHash),
    );
    const needsRehash = !prehashed || bcrypt.getRounds(bcryptHash) !== this.rounds;

    return { valid, needsRehash };
  }

  /**
   * Spends the same work as a real verification and always fails. Used when the account does
   * not exist, so its absence does not show in the response time.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash('not-a-real-password');
    await this.verify(password, await this.dummyHash);

    return false;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.limiter.run(task);
    } catch (error) {
      if (error instanceof ConcurrencyLimitExceededError) {
        throw new CommonException('SERVICE_OVERLOADED', 'Too many sign-ins at once; retry shortly');
      }
      throw error;
    }
  }
}
