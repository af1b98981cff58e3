import { dictionary } from '@zxcvbn-ts/language-common';
import { CommonException } from '@app/common';
import { PasswordPolicy } from '@app/config';

/** Who the password is for: the parts of it an attacker would guess first. */
export interface PasswordOwner {
  email: string;
  firstName: string;
  lastName: string;
}

/** Name or email parts shorter than this are too common inside words to refuse. */
const MIN_PERSONAL_PART_LENGTH = 3;

let commonPasswords: Set<string> | undefined;

/**
 * The zxcvbn-ts list of common and breached passwords (about 49,000, shipped offline with the
 * package), lower-cased, built on first use and kept for the life of the process.
 */
function commonPasswordSet(): Set<string> {
  commonPasswords ??= new Set(
    dictionary['passwords-common'].map((password) => password.toLowerCase()),
  );

  return commonPasswords;
}

function fold(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/**
 * The email's local part and the first and last names, whole and split at anything that is
 * not a letter or digit ("grace.hopper" gives "grace.hopper", "grace" and "hopper"), keeping
 * parts of 3 characters or more.
 */
function personalParts(owner: PasswordOwner): string[] {
  const email = fold(owner.email.trim());
  const localPart = email.includes('@') ? email.slice(0, email.lastIndexOf('@')) : email;
  const parts = [localPart, fold(owner.firstName.trim()), fold(owner.lastName.trim())].flatMap(
    (value) => [value, ...value.split(/[^\p{L}\p{Nd}]+/u)],
  );

  return [...new Set(parts)].filter((part) => [...part].length >= MIN_PERSONAL_PART_LENGTH);
}

/**
 * Every rule of the configured policy the password breaks, as sentences a user can act on.
 * An empty list means the password is acceptable. Without `owner` the personal-information
 * rule is not checked.
 */
export function checkPasswordPolicy(
  password: string,
  policy: PasswordPolicy,
  owner?: PasswordOwner,
): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) {
    problems.push(`password must be at least ${policy.minLength} characters long`);
  }
  if (length > policy.maxLength) {
    problems.push(`password must be at most ${policy.maxLength} characters long`);
  }
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) {
    problems.push('password must contain an upper-case letter');
  }
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) {
    problems.push('password must contain a lower-case letter');
  }
  if (policy.requireDigits && !/\p{Nd}/u.test(password)) {
    problems.push('password must contain a digit');
  }
  if (policy.requireSpecialChars && !/[^\p{L}\p{Nd}]/u.test(password)) {
    problems.push('password must contain a character that is not a letter or digit');
  }
  const folded = fold(password);
  if (commonPasswordSet().has(folded)) {
    problems.push('password is too common: it appears in lists of breached passwords');
  }
  if (policy.rejectPersonalInfo && owner) {
    const found = personalParts(owner).some((part) => folded.includes(part));
    if (found) problems.push('password must not contain your name or email address');
  }

  return problems;
}

/** Throws the one validation problem that lists every rule the password breaks. */
export function enforcePasswordPolicy(
  password: string,
  policy: PasswordPolicy,
  owner: PasswordOwner,
  field = 'password',
): void {
  const problems = checkPasswordPolicy(password, policy, owner);
  if (problems.length === 0) return;

  const messages = problems.map((message) =>
    field === 'password' ? message : message.replace(/^password\b/, field),
  );
  throw new CommonException(
    'VALIDATION_FAILED',
    messages.join('; '),
    messages.map((message) => ({ field, message })),
  );
}
