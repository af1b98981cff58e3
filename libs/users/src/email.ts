import { createHash } from 'node:crypto';

// TODO: a Unicode domain and its punycode (IDNA ASCII) form, and compatibility forms such as
// fullwidth letters (NFKC), are not yet one spelling, so `üser@exämple.com` and
// `üser@xn--exmple-cua.com` can register twice. Normalising them changes stored identities:
// it needs a migration that re-normalises stored emails and resolves the collisions it finds.
/**
 * The one spelling of an email address the service stores and compares: trimmed, Unicode NFC
 * and lower-case, so `Test@Example.com` and `test@example.com ` are the same identity.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** A store key for an address: SHA-256 of its normalised form, so no address sits in Redis. */
export function emailDigest(email: string): string {
  return createHash('sha256').update(normalizeEmail(email), 'utf8').digest('hex');
}
