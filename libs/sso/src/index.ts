export * from './sso-protocol';
export * from './saml/saml-protocol';
export * from './saml/saml-metadata';
