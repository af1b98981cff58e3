import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { AuditException } from './audit.exception';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

describe('audit cursor', () => {
  it.each(['1', '42', '9223372036854775807'])('round-trips sequence %s', (sequence) => {
    const cursor = encodeAuditCursor(sequence);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeAuditCursor(cursor)).toBe(BigInt(sequence));
  });

  it.each([
    ['an empty string', ''],
    ['characters outside base64url', 'abc$%^'],
    ['base64url of garbage', base64url('not json at all')],
    ['JSON that is not an object', base64url('"12"')],
    ['JSON null', base64url('null')],
    ['another version', base64url(JSON.stringify({ v: 2, s: '12' }))],
    ['a numeric sequence', base64url(JSON.stringify({ v: 1, s: 12 }))],
    ['a negative sequence', base64url(JSON.stringify({ v: 1, s: '-1' }))],
    ['sequence zero', base64url(JSON.stringify({ v: 1, s: '0' }))],
    ['a leading zero', base64url(JSON.stringify({ v: 1, s: '012' }))],
    ['a fraction', base64url(JSON.stringify({ v: 1, s: '1.5' }))],
    ['SQL in the sequence', base64url(JSON.stringify({ v: 1, s: "1' OR 1=1" }))],
    ['a sequence beyond bigint', base64url(JSON.stringify({ v: 1, s: '9223372036854775808' }))],
    ['an overlong cursor', 'a'.repeat(201)],
  ])('refuses %s with AUDIT_INVALID_CURSOR', (_label, cursor) => {
    expect(() => decodeAuditCursor(cursor)).toThrow(AuditException);
    try {
      decodeAuditCursor(cursor);
    } catch (error) {
      expect((error as AuditException).code).toBe('AUDIT_INVALID_CURSOR');
      expect((error as AuditException).status).toBe(400);
    }
  });
});
