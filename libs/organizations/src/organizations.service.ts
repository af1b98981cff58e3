import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';

@Injectable()
export class OrganizationsService {
  constructor(
    @InjectRepository(Organization) private readonly organizations: Repository<Organization>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
  ) {}

  /** A live (not deleted) organization, or null. */
  findById(id: string, manager?: EntityManager): Promise<Organization | null> {
    const repository = manager ? manager.getRepository(Organization) : this.organizations;

    return repository.findOneBy({ id });
  }

  /** The active membership of a user in a live organization, or null. */
  findActiveMembership(
    userId: string,
    organizationId: string,
    manager?: EntityManager,
  ): Promise<Membership | null> {
    const repository = manager ? manager.getRepository(Membership) : this.memberships;

    return repository
      .createQueryBuilder('membership')
      .innerJoinAndSelect('membership.organization', 'organization')
      .where('membership.userId = :userId', { userId })
      .andWhere('membership.organizationId = :organizationId', { organizationId })
      .andWhere("membership.status = 'active'")
      .getOne();
  }

  /**
   * The user's active memberships in live organizations, most recently used first: the first
   * one is the organization a login without `organization_id` enters.
   */
  listActiveMemberships(userId: string): Promise<Membership[]> {
    return this.memberships
      .createQueryBuilder('membership')
      .innerJoinAndSelect('membership.organization', 'organization')
      .where('membership.userId = :userId', { userId })
      .andWhere("membership.status = 'active'")
      .orderBy('membership.lastUsedAt', 'DESC', 'NULLS LAST')
      .addOrderBy('membership.createdAt', 'ASC')
      .getMany();
  }

  addMember(
    manager: EntityManager,
    organizationId: string,
    userId: string,
    roles: string[],
  ): Promise<Membership> {
    const repository = manager.getRepository(Membership);

    return repository.save(repository.create({ organizationId, userId, roles }));
  }

  async markUsed(manager: EntityManager, membershipId: string): Promise<void> {
    await manager
      .getRepository(Membership)
      .update({ id: membershipId }, { lastUsedAt: new Date() });
  }
}
