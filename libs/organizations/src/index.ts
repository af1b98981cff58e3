export * from './access.service';
export * from './invitation.entity';
export * from './invitations.exception';
export * from './invitations.service';
export * from './membership.entity';
export * from './organization.entity';
export * from './organizations.exception';
export * from './organizations.module';
export * from './organizations.service';
export * from './seed.service';
export * from './permissions';
export * from './role.entity';
// Last: the HTTP modules import @app/auth, which imports everything above (see
// invitations.module.ts).
export * from './invitations.module';
