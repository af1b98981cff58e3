export * from './membership.entity';
export * from './organization.entity';
export * from './organizations.exception';
export * from './organizations.module';
export * from './organizations.service';
export * from './seed.service';
