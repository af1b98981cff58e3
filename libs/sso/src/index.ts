export * from './certificates';
export * from './sso-connection.entity';
export * from './sso-connections.service';
export * from './sso-protocol';
export * from './sso.exception';
export * from './sso.module';
export * from './reencrypt-secrets';
