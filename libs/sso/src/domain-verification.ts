import { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SsoException } from './sso.exception';

/** The label under a domain where its verification record lives. */
export const VERIFICATION_LABEL = '_faultmaven-sso';

/** The TXT record that proves a connection's claim of a domain. */
export function verificationRecord(domain: string, token: string): { name: string; value: string } {
  return { name: `${VERIFICATION_LABEL}.${domain}`, value: `faultmaven-sso-verification=${token}` };
}

/**
 * The domain of an email address in the form domains are stored in: lower case, IDNA
 * (punycode) ASCII, so `münchen.test` and `xn--mnchen-3ya.test` are one domain.
 */
export function emailDomain(email: string): string {
  const domain = email
    .slice(email.lastIndexOf('@') + 1)
    .trim()
    .toLowerCase();

  return domainToASCII(domain) || domain;
}

/** DNS answers that mean "no such record" rather than "could not ask". */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * Asks DNS whether a domain carries a connection's verification record. Only someone who
 * controls the domain's zone can publish it, so an organization cannot route the logins of
 * a domain it does not own to its identity provider.
 */
@Injectable()
export class DomainVerifier {
  private readonly logger = new Logger(DomainVerifier.name);
  private readonly resolver: Resolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.resolver = new Resolver({ timeout: 3000, tries: 2 });
    if (config.sso.dnsServers.length > 0) this.resolver.setServers(config.sso.dnsServers);
  }

  /** True when the domain publishes the record; throws SSO_DNS_UNAVAILABLE when DNS fails. */
  async proves(domain: string, token: string): Promise<boolean> {
    const record = verificationRecord(domain, token);
    let answers: string[][];
    try {
      answers = await this.resolver.resolveTxt(record.name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (NO_RECORD.has(code)) return false;
      this.logger.warn({ event: 'sso_domain_dns_failed', domain, code });
      throw new SsoException('SSO_DNS_UNAVAILABLE');
    }

    // A long TXT value arrives in 255-byte chunks; they form one string.
    return answers.some((chunks) => chunks.join('') === record.value);
  }
}
