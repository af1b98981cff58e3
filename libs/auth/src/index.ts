// First: the decorators import nothing at run time, so the HTTP modules of
// @app/organizations can use them while this index is still loading (the two libs import
// each other).
export * from './decorators/access-policy.decorator';
export * from './decorators/actor.decorator';
export * from './decorators/current-access.decorator';
export * from './decorators/current-principal.decorator';
export * from './principal';
export * from './auth.exception';
export * from './auth.module';
export * from './auth.service';
export * from './refresh-token.entity';
export * from './session.entity';
export * from './token.service';
