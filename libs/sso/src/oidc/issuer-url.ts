import ipaddr from 'ipaddr.js';
import { SsoProtocolOptions } from '../sso-protocol';

/** Why an issuer URL cannot be used for an SSO connection; the message is safe to show. */
export class InvalidIssuerUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIssuerUrlError';
  }
}

/**
 * Checks an OIDC issuer before it is saved or used: an absolute `https:` URL without query or
 * fragment, as OpenID Connect Discovery requires. Plain `http:` passes only on a loopback
 * address and only when the options allow it, which no production configuration does: over
 * plain HTTP anyone on the path could swap the provider's keys and mint logins.
 */
export function validateIssuerUrl(
  issuer: string,
  options: Pick<SsoProtocolOptions, 'allowHttpLoopbackIssuers'>,
): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new InvalidIssuerUrlError('The issuer must be an absolute URL.');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidIssuerUrlError('The issuer must not have a query or a fragment.');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidIssuerUrlError('The issuer must not contain credentials.');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:') {
    throw new InvalidIssuerUrlError('The issuer must be an https URL.');
  }
  if (!options.allowHttpLoopbackIssuers || !isLoopbackHost(url.hostname)) {
    throw new InvalidIssuerUrlError('The issuer must be an https URL; plain http is refused.');
  }

  return url;
}

/** `localhost`, 127.0.0.0/8 or ::1; a URL's hostname keeps IPv6 addresses in brackets. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const address = hostname.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(address)) return false;

  return ipaddr.parse(address).range() === 'loopback';
}
