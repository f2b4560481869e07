import { AppError } from '../errors.js'
import { isCommonPassword } from './common-passwords.js'

/**
 * The rules a NEW password must meet (NIST SP 800-63B §3.1.1.2), at sign-up and at password change; sign-in never
 * checks them, so accounts made under an older policy still sign in. Length is counted in Unicode code points
 * after NFKC normalisation (so "ｐａｓｓｗｏｒｄ" is "password", and a combining accent is part of its letter), without
 * invisible characters (zero-width spaces, joiners, byte-order marks, controls) and without leading or trailing
 * whitespace: none of those add anything an attacker has to guess. Spaces inside are kept: passphrases are welcome.
 * The stored hash is still computed from the password as typed, so sign-in needs no normalisation of its own.
 */
export const MIN_PASSWORD_LENGTH = 8

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}]/gu

export type PasswordRule = 'blank' | 'min-length' | 'common'

export class WeakPasswordError extends AppError {
  constructor (readonly rule: PasswordRule, message: string) {
    super(400, 'weak-password', message, { rule, errors: [{ field: '/body/password', message }] })
  }
}

/** What the rules look at: NFKC, invisible characters removed, outer whitespace trimmed. */
function significantPart (password: string): string {
  return password.normalize('NFKC').replace(INVISIBLE, '').trim()
}

export async function assertPasswordPolicy (password: string): Promise<void> {
  const significant = significantPart(password)
  if (significant === '') {
    throw new WeakPasswordError('blank', 'password must contain visible characters, not only spaces or invisible characters')
  }
  if ([...significant].length < MIN_PASSWORD_LENGTH) {
    throw new WeakPasswordError('min-length', `password must have at least ${MIN_PASSWORD_LENGTH} characters, not counting ` +
      'invisible characters or spaces at either end (Unicode code points after NFKC normalisation)')
  }
  if (await isCommonPassword(significant.toLowerCase(), MIN_PASSWORD_LENGTH)) {
    throw new WeakPasswordError('common', 'password is one of the most commonly used passwords; choose another')
  }
}
