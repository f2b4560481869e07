import { createHash } from 'node:crypto'
import type { Cache } from '../cache/types.js'
import { AppError } from '../errors.js'

/**
 * Password checks per (account, client IP) in one window: beyond this many, attempts answer 429 without checking
 * the password (OWASP Authentication Cheat Sheet, "Protect against automated attacks"). Sign-in and the
 * currentPassword of a password change share the count: both are guesses at the same secret.
 *
 * Every attempt is counted, atomically, BEFORE its check; a read-then-increment-after-failure let a burst of
 * concurrent guesses all pass the read. So at most this many checks run per window for one pair, whatever the
 * concurrency. A success proves the password and clears the count (the owner who mistyped a few times starts
 * afresh); only an admitted check can succeed, so guesses around a success are still bounded by the admitted ones.
 * The window opens at the first attempt and expires by itself, so the owner is never locked out for longer.
 */
export const MAX_FAILED_LOGINS = 5
export const FAILED_LOGIN_WINDOW_SECONDS = 15 * 60

export class TooManyLoginAttemptsError extends AppError {
  constructor (retryAfterSeconds: number) {
    super(429, 'too-many-login-attempts', 'Too many wrong password attempts for this account from this client; retry later', {}, { retryAfterSeconds })
  }
}

function counterKey (email: string, ip: string): string {
  // Hashed so the cache holds no email addresses; the IP keeps one attacker from locking out the owner elsewhere.
  const digest = createHash('sha256').update(`${email.toLowerCase()}\n${ip}`).digest('base64url')
  return `login-failures:${digest}`
}

/**
 * Counts this attempt and refuses it past the limit. When the store fails (undefined) the attempt is admitted, as
 * every other limit here does on a cache outage: the per-IP auth rate limit still bounds guessing then.
 */
export async function admitPasswordAttempt (cache: Cache, email: string, ip: string): Promise<void> {
  const attempts = await cache.incr(counterKey(email, ip), FAILED_LOGIN_WINDOW_SECONDS)
  if (attempts !== undefined && attempts > MAX_FAILED_LOGINS) throw new TooManyLoginAttemptsError(FAILED_LOGIN_WINDOW_SECONDS)
}

export async function clearPasswordAttempts (cache: Cache, email: string, ip: string): Promise<void> {
  await cache.del(counterKey(email, ip))
}
