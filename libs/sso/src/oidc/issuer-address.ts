import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { CustomFetch } from 'openid-client';

/** Which kinds of address an OpenID provider's host may resolve to, besides public ones. */
export interface IssuerAddressPolicy {
  loopback: boolean;
  private: boolean;
}

/** Why a provider's host was refused; safe to show an administrator. */
export class IssuerAddressError extends Error {
  constructor(
    readonly host: string,
    readonly range: string,
  ) {
    super(`${host} resolves to a ${range} address, which identity providers may not use`);
    this.name = 'IssuerAddressError';
  }
}

/** ipaddr.js ranges allowed under the policy; every other range (link-local: cloud metadata
 * services, unspecified, multicast, reserved...) is refused always. */
function allowed(range: string, policy: IssuerAddressPolicy): boolean {
  if (range === 'unicast') return true;
  if (range === 'loopback') return policy.loopback;
  if (range === 'private' || range === 'uniqueLocal' || range === 'carrierGradeNat') {
    return policy.private;
  }

  return false;
}

/**
 * Refuses a host that is, or resolves to, an address the policy does not allow. Without it,
 * anyone able to configure a connection could make the service send requests into its own
 * network (the issuer, and every endpoint its discovery document names). A name that does not
 * resolve is left to the request itself to fail.
 */
export async function checkHostAddresses(
  hostname: string,
  policy: IssuerAddressPolicy,
): Promise<void> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      return;
    }
  }
  for (const address of addresses) {
    const range = ipaddr.process(address).range();
    if (!allowed(range, policy)) throw new IssuerAddressError(host, range);
  }
}

/** The same check for an IP literal only, without DNS: for settings being saved. */
export function checkLiteralAddress(hostname: string, policy: IssuerAddressPolicy): void {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(host)) return;
  const range = ipaddr.process(host).range();
  if (!allowed(range, policy)) throw new IssuerAddressError(host, range);
}

/**
 * A fetch for openid-client that checks the address of every URL first: discovery, JWKS,
 * token and userinfo endpoints alike. A DNS answer that changes between the check and the
 * connection could still slip through; the check stops configured and discovered URLs.
 */
export function addressCheckedFetch(policy: IssuerAddressPolicy): CustomFetch {
  return async (url, options) => {
    await checkHostAddresses(new URL(url).hostname, policy);

    return fetch(url, options as RequestInit);
  };
}
