export * from './access-revocation.service';
export * from './access.service';
export * from './invitation.entity';
export * from './invitations.exception';
export * from './invitations.service';
export * from './caller';
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
// Last, and never imported by what precedes it: its controllers import @app/auth, which
// imports this index. Loaded last, everything libs/auth needs from here is already exported
// whichever of the two libraries Node loads first.
export * from './organizations-admin.module';
