import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import argon2 from 'argon2'
import pLimit from 'p-limit'
import { AppError } from '../errors.js'

/**
 * argon2id with OWASP's minimum parameters (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1).
 * The package's defaults (64 MiB, t=3, p=4) cost ~110 ms and four of libuv's four threads per login.
 * Hashing runs in libuv's thread pool, off the event loop.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1
} as const

/**
 * At most this many argon2 computations at once: one core fewer than the process may use (at least one).
 * libuv runs them on its 4 threads; unbounded, a burst of logins on a 1–2 core box gives each of those threads
 * the same CPU share as the event loop, and /health/live answers late (bench scenario 4). Logins beyond the
 * bound wait here instead of in libuv's queue, which also keeps threads free for file and DNS work.
 */
export const PASSWORD_HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1)
export const argon2Slot = pLimit(PASSWORD_HASH_CONCURRENCY)

/** A hash waits its turn for a slot at most about this long when the queue is full (a few argon2 runs per slot). */
const BUSY_RETRY_AFTER_SECONDS = 1

export class PasswordHashBusyError extends AppError {
  constructor () {
    super(503, 'auth-busy', 'Too many sign-ins, sign-ups and password changes are being processed; retry shortly', {},
      { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS })
  }
}

/**
 * Refuses a new hash when every slot is busy and `queueMax` already wait: unbounded, 150 bogus logins made a real
 * one wait 2.7 s instead of 47 ms, and every waiting request holds its socket and memory. Shedding the excess
 * with 503 + retry-after keeps the wait of those admitted short. Infinity (boot, scripts): no bound.
 */
export function assertPasswordHashCapacity (queueMax: number): void {
  if (argon2Slot.activeCount >= PASSWORD_HASH_CONCURRENCY && argon2Slot.pendingCount >= queueMax) throw new PasswordHashBusyError()
}

export async function hashPassword (password: string, queueMax = Number.POSITIVE_INFINITY): Promise<string> {
  assertPasswordHashCapacity(queueMax)
  return argon2Slot(async () => argon2.hash(password, ARGON2_OPTIONS))
}

/**
 * False for a wrong password and for a hash argon2 cannot read (never throws for bad input); throws
 * PasswordHashBusyError when the queue is full.
 */
export async function verifyPassword (hash: string, password: string, queueMax = Number.POSITIVE_INFINITY): Promise<boolean> {
  assertPasswordHashCapacity(queueMax)
  try {
    return await argon2Slot(async () => argon2.verify(hash, password))
  } catch {
    return false
  }
}

/** PHC strings use unpadded standard base64. */
function phcBase64 (bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}

/**
 * A well-formed argon2id hash with ARGON2_OPTIONS' parameters whose salt and digest are random bytes, so no
 * password matches it. Login with an unknown email verifies against it: verification recomputes argon2 from
 * the parameters and the salt, so both failures cost the same work and cannot be told apart by timing (OWASP
 * Authentication Cheat Sheet, "Authentication Responses"). Written, not hashed: boot spends no argon2 on it.
 */
export const DUMMY_PASSWORD_HASH = `$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},p=${ARGON2_OPTIONS.parallelism},` +
  `t=${ARGON2_OPTIONS.timeCost}$${phcBase64(randomBytes(16))}$${phcBase64(randomBytes(32))}`
