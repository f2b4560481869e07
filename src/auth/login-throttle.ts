import { createHash } from 'node:crypto'
import type { Cache } from '../cache/types.js'
import { AppError } from '../errors.js'

/**
 * Failed logins per (account, client IP): after this many in one window the next attempts answer 429
 * without checking the password (OWASP Authentication Cheat Sheet, "Protect against automated attacks").
 * The window expires by itself, so the owner is never locked out for longer than it; a success clears it.
 */
export const MAX_FAILED_LOGINS = 5
export const FAILED_LOGIN_WINDOW_SECONDS = 15 * 60

export class TooManyLoginAttemptsError extends AppError {
  constructor (retryAfterSeconds: number) {
    super(429, 'too-many-login-attempts', 'Too many failed sign-in attempts for this account; retry later', {}, { 'retry-after': String(retryAfterSeconds) })
  }
}

function counterKey (email: string, ip: string): string {
  // Hashed so the cache holds no email addresses; the IP keeps one attacker from locking out the owner elsewhere.
  const digest = createHash('sha256').update(`${email.toLowerCase()}\n${ip}`).digest('base64url')
  return `login-failures:${digest}`
}

export async function assertLoginAllowed (cache: Cache, email: string, ip: string): Promise<void> {
  const failures = await cache.get<number>(counterKey(email, ip))
  if (failures !== undefined && failures >= MAX_FAILED_LOGINS) throw new TooManyLoginAttemptsError(FAILED_LOGIN_WINDOW_SECONDS)
}

export async function recordFailedLogin (cache: Cache, email: string, ip: string): Promise<void> {
  await cache.incr(counterKey(email, ip), FAILED_LOGIN_WINDOW_SECONDS)
}

export async function clearFailedLogins (cache: Cache, email: string, ip: string): Promise<void> {
  await cache.del(counterKey(email, ip))
}
