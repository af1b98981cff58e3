import { X509Certificate, createPrivateKey } from 'node:crypto';
import { SsoException } from './sso.exception';

/** A certificate within this many days of its end is flagged in the connection's read model. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateSummary {
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  fingerprint_sha256: string;
  expires_soon: boolean;
}

/**
 * A certificate as PEM, from PEM or from the bare base64 body that SAML metadata carries.
 * Throws SSO_INVALID_CERTIFICATE naming `field` when it does not parse.
 */
export function toPemCertificate(input: string, field: string): string {
  const trimmed = input.trim();
  const body = trimmed.includes('-----BEGIN CERTIFICATE-----')
    ? trimmed
        .replace(/-----BEGIN CERTIFICATE-----|-----END CERTIFICATE-----/g, '')
        .replace(/\s+/g, '')
    : trimmed.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new SsoException(
      'SSO_INVALID_CERTIFICATE',
      `${field} is not a PEM or base64 certificate`,
    );
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  parse(pem, field);

  return pem;
}

/** Refuses a certificate that is not valid now (expired or not yet valid). */
export function checkCertificateCurrent(pem: string, field: string, now = new Date()): void {
  const certificate = parse(pem, field);
  if (new Date(certificate.validTo).getTime() <= now.getTime()) {
    throw new SsoException(
      'SSO_CERTIFICATE_EXPIRED',
      `${field} expired on ${new Date(certificate.validTo).toISOString()}`,
    );
  }
  if (new Date(certificate.validFrom).getTime() > now.getTime()) {
    throw new SsoException(
      'SSO_INVALID_CERTIFICATE',
      `${field} is not valid before ${new Date(certificate.validFrom).toISOString()}`,
    );
  }
}

/** What an administrator needs to know about a stored certificate, expiry first. */
export function summarizeCertificate(pem: string, now = new Date()): CertificateSummary {
  const certificate = new X509Certificate(pem);
  const notAfter = new Date(certificate.validTo);

  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    not_before: new Date(certificate.validFrom).toISOString(),
    not_after: notAfter.toISOString(),
    fingerprint_sha256: certificate.fingerprint256,
    expires_soon: notAfter.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS,
  };
}

/** Checks that a PEM private key parses and belongs to the certificate it is paired with. */
export function checkKeyPair(privateKeyPem: string, certificatePem: string): void {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new SsoException('SSO_INVALID_CERTIFICATE', 'sp_private_key is not a PEM private key');
  }
  // node-saml signs requests with RSA-SHA256; another key type makes signatures no IdP accepts.
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SsoException(
      'SSO_INVALID_CERTIFICATE',
      'sp_private_key must be an RSA key: SAML requests are signed with RSA-SHA256',
    );
  }
  if (!new X509Certificate(certificatePem).checkPrivateKey(key)) {
    throw new SsoException(
      'SSO_INVALID_CERTIFICATE',
      'sp_private_key does not belong to sp_certificate',
    );
  }
}

function parse(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new SsoException('SSO_INVALID_CERTIFICATE', `${field} is not a valid X.509 certificate`);
  }
}
