import { PasswordPolicy } from '@app/config';

/**
 * Every rule of the configured policy the password breaks, as sentences a user can act on.
 * An empty list means the password is acceptable.
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy): string[] {
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

  return problems;
}
