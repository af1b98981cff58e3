import { PasswordPolicy } from '@app/config';
import { checkPasswordPolicy } from './password-policy';

const STRICT: PasswordPolicy = {
  minLength: 12,
  maxLength: 128,
  requireUppercase: true,
  requireLowercase: true,
  requireDigits: true,
  requireSpecialChars: true,
  rejectPersonalInfo: true,
};

const LAX: PasswordPolicy = {
  minLength: 8,
  maxLength: 128,
  requireUppercase: false,
  requireLowercase: false,
  requireDigits: false,
  requireSpecialChars: false,
  rejectPersonalInfo: false,
};

const TOO_SHORT = 'password must be at least 12 characters long';
const TOO_LONG = 'password must be at most 128 characters long';
const NO_UPPER = 'password must contain an upper-case letter';
const NO_LOWER = 'password must contain a lower-case letter';
const NO_DIGIT = 'password must contain a digit';
const NO_SPECIAL = 'password must contain a character that is not a letter or digit';
const COMMON = 'password is too common: it appears in lists of breached passwords';
const PERSONAL = 'password must not contain your name or email address';

const GRACE = { email: 'Grace.Hopper@navy.example', firstName: 'Grace', lastName: 'Hopper' };

describe('checkPasswordPolicy', () => {
  it.each([
    ['Correct-Horse1', []],
    ['Ünïcödé-Pässw0rd', []],
    ['', [TOO_SHORT, NO_UPPER, NO_LOWER, NO_DIGIT, NO_SPECIAL]],
    ['short', [TOO_SHORT, NO_UPPER, NO_DIGIT, NO_SPECIAL, COMMON]],
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
    ['Unusual-phrase', []],
    ['12345679x', []],
    ['password', [COMMON]],
    ['12345678', [COMMON]],
    ['pass', ['password must be at least 8 characters long', COMMON]],
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

  it.each(['password', 'PASSWORD', 'PassWord', 'qwerty123', 'Letmein', 'iloveyou'])(
    'refuses the common password %j whatever its case',
    (password) => {
      expect(checkPasswordPolicy(password, LAX)).toContain(COMMON);
    },
  );

  it('lists a common password together with every other rule it breaks', () => {
    expect(checkPasswordPolicy('password', STRICT)).toEqual([
      TOO_SHORT,
      NO_UPPER,
      NO_DIGIT,
      NO_SPECIAL,
      COMMON,
    ]);
  });

  it.each([
    ['the email local part', 'Xx-grace.hopper-99!'],
    ['the first name in another case', 'My-GRACE-is-2024!'],
    ['the last name', 'Admiral#hopper1906'],
    ['a part of the local part', 'Navy-Hopper-1906!'],
  ])('refuses a password containing %s', (_, password) => {
    expect(checkPasswordPolicy(password, STRICT, GRACE)).toEqual([PERSONAL]);
  });

  it('ignores name parts shorter than 3 characters', () => {
    const owner = { email: 'al@example.com', firstName: 'Al', lastName: 'Wu' };

    expect(checkPasswordPolicy('Always-Wuthering-9!', STRICT, owner)).toEqual([]);
  });

  it('checks personal information only when the policy asks for it', () => {
    expect(
      checkPasswordPolicy('Admiral#hopper1906', { ...STRICT, rejectPersonalInfo: false }, GRACE),
    ).toEqual([]);
    expect(checkPasswordPolicy('Admiral#hopper1906', STRICT)).toEqual([]);
  });
});
