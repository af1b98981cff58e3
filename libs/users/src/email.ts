/**
 * The one spelling of an email address the service stores and compares: trimmed, Unicode NFC
 * and lower-case, so `Test@Example.com` and `test@example.com ` are the same identity.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
