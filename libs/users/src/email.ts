import { createHash } from 'node:crypto';

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
