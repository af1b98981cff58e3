import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { normalizeEmail } from './email';
import { User } from './user.entity';
import { UsersException } from './users.exception';

export interface NewUser {
  email: string;
  passwordHash: string | null;
  firstName: string;
  lastName: string;
  isPlatformAdmin?: boolean;
  emailVerified?: boolean;
}

/** A user together with the password hash, which is otherwise never loaded. */
export type UserWithPassword = User & { passwordHash: string | null };

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string, manager?: EntityManager): Promise<User | null> {
    const repository = manager ? manager.getRepository(User) : this.users;

    return repository.findOneBy({ id });
  }

  /** Looks up a live (not deleted) user by email, with the password hash. */
  findByEmailWithPassword(email: string): Promise<UserWithPassword | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  async findPasswordHash(id: string): Promise<string | null> {
    const user = await this.users
      .createQueryBuilder('user')
      .select(['user.id', 'user.passwordHash'])
      .where('user.id = :id', { id })
      .getOne();

    return user?.passwordHash ?? null;
  }

  async updatePasswordHash(
    id: string,
    passwordHash: string,
    manager?: EntityManager,
  ): Promise<void> {
    const repository = manager ? manager.getRepository(User) : this.users;
    await repository.update({ id }, { passwordHash });
  }

  /** Looks up a live (not deleted) user by email. */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /** Marks the email verified, keeping the first verification's time. */
  async markEmailVerified(id: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(User)
      .createQueryBuilder()
      .update()
      .set({ emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' })
      .where('id = :id', { id })
      .execute();
  }

  /** Inserts a user inside the caller's transaction; a taken email is a 409, whatever its case. */
  async create(manager: EntityManager, input: NewUser): Promise<User> {
    const repository = manager.getRepository(User);
    const user = repository.create({
      email: normalizeEmail(input.email),
      passwordHash: input.passwordHash,
      firstName: input.firstName.trim(),
      lastName: input.lastName.trim(),
      isPlatformAdmin: input.isPlatformAdmin ?? false,
      emailVerifiedAt: input.emailVerified ? new Date() : null,
    });
    try {
      return await repository.save(user);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new UsersException('USER_EMAIL_TAKEN');
      }
      throw error;
    }
  }
}
