import type { SsoConnection } from './sso-connection.entity';
import type { ServiceProviderEndpoints } from './sso-protocol';

/** Path of the SSO routes under the service's public URL. */
export const SSO_BASE_PATH = '/api/v1/enterprise/sso';

/**
 * The public addresses of one connection. Built from PUBLIC_URL only, never from a request's
 * Host header, so a forged header cannot change what the identity provider is told.
 */
export class SsoUrls {
  constructor(private readonly publicUrl: string) {}

  private base(connectionId: string, protocol: SsoConnection['protocol']): string {
    return `${this.publicUrl}${SSO_BASE_PATH}/${protocol}/${connectionId}`;
  }

  login(connection: Pick<SsoConnection, 'id' | 'protocol'>): string {
    return `${this.base(connection.id, connection.protocol)}/login`;
  }

  serviceProvider(connectionId: string): ServiceProviderEndpoints {
    return {
      entityId: `${this.base(connectionId, 'saml')}/metadata`,
      acsUrl: `${this.base(connectionId, 'saml')}/acs`,
    };
  }

  oidcRedirect(connectionId: string): string {
    return `${this.base(connectionId, 'oidc')}/callback`;
  }
}
