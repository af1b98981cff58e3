export * from './audit-chain-head.entity';
export * from './audit-context';
export * from './audit-event.entity';
export * from './audit-hash';
export * from './audit.exception';
export * from './audit.module';
export * from './audit.service';
export * from './audit-retention';
// Last: the routes import @app/auth, which imports the writer above from this file. Loading
// them after everything auth needs keeps that cycle harmless when @app/audit loads first.
// TODO: move the access-policy decorators below the features (e.g. into @app/common) so
// feature libs with routes no longer import @app/auth and the cycle disappears.
export * from './audit-api.module';
