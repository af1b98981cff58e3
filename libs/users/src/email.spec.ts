import { normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it.each([
    ['test@example.com', 'test@example.com'],
    ['Test@Example.COM', 'test@example.com'],
    ['  test@example.com \t\n', 'test@example.com'],
    ['ÉMILE@EXAMPLE.COM', 'émile@example.com'],
    // "e" followed by a combining acute accent is the same address as the precomposed "é".
    ['e\u0301mile@example.com', '\u00e9mile@example.com'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it('gives one spelling for every way of writing the same address', () => {
    const spellings = [' Émile@Example.com', 'E\u0301MILE@EXAMPLE.COM ', 'émile@example.com'];

    expect(new Set(spellings.map(normalizeEmail))).toEqual(new Set(['émile@example.com']));
  });

  it('is idempotent', () => {
    const once = normalizeEmail(' Ünïcode@Example.com ');

    expect(normalizeEmail(once)).toBe(once);
  });
});
