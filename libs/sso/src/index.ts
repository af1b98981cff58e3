export * from './certificates';
export * from './reencrypt-secrets';
export * from './sso-connection.entity';
export * from './sso-connections.service';
export * from './sso-protocol';
export * from './sso.exception';
export * from './sso.module';
