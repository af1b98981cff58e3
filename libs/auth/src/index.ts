// The decorators come first and depend on nothing at run time: libs/organizations' HTTP
// module imports them while this index may still be loading (auth -> organizations -> auth).
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
