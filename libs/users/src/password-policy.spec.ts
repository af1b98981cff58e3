import { PasswordPolicy } from '@app/config';
import { checkPasswordPolicy } from './password-policy';

const STRICT: PasswordPolicy = {
  minLength: 12,
  maxLength: 128,
  requireUppercase: true,
  requireLowercase: true,
  requireDigits: true,
  requireSpecialChars: true,
};

const LAX: PasswordPolicy = {
  minLength: 8,
  maxLength: 128,
  requireUppercase: false,
  requireLowercase: false,
  requireDigits: false,
  requireSpecialChars: false,
};

const TOO_SHORT = 'password must be at least 12 characters long';
const TOO_LONG = 'password must be at most 128 characters long';
const NO_UPPER = 'password must contain an upper-case letter';
const NO_LOWER = 'password must contain a lower-case letter';
const NO_DIGIT = 'password must contain a digit';
const NO_SPECIAL = 'password must contain a character that is not a letter or digit';

describe('checkPasswordPolicy', () => {
  it.each([
    ['Correct-Horse1', []],
    ['Ünïcödé-Pässw0rd', []],
    ['', [TOO_SHORT, NO_UPPER, NO_LOWER, NO_DIGIT, NO_SPECIAL]],
    ['short', [TOO_SHORT, NO_UPPER, NO_DIGIT, NO_SPECIAL]],
    ['Short1!', [TOO_SHORT]],
    ['alllowercase-1', [NO_UPPER]],
    ['ALLUPPERCASE-1', [NO_LOWER]],
    ['No-Digits-Here', [NO_DIGIT]],
    ['NoSpecialChars1', [NO_SPECIAL]],
    ['Spaces Count 1', []],
    [`Aa1!${'x'.repeat(125)}`, [TOO_LONG]],
    ['x'.repeat(129), [TOO_LONG, NO_UPPER, NO_DIGIT, NO_SPECIAL]],
  ])('under the strict policy, %j breaks %j', (password, expected) => {
    expect(checkPasswordPolicy(password, STRICT)).toEqual(expected);
  });

  it.each([
    ['password', []],
    ['12345678', []],
    ['pass', ['password must be at least 8 characters long']],
  ])('under the lax policy, %j breaks %j', (password, expected) => {
    expect(checkPasswordPolicy(password, LAX)).toEqual(expected);
  });

  it('counts characters, not UTF-16 units', () => {
    // Four emoji are eight UTF-16 units but four characters.
    expect(checkPasswordPolicy('😀😀😀😀', LAX)).toEqual([
      'password must be at least 8 characters long',
    ]);
    expect(checkPasswordPolicy('😀'.repeat(8), LAX)).toEqual([]);
  });
});
