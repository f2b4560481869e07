import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'

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

export async function hashPassword (password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS)
}

/** False for a wrong password and for a hash argon2 cannot read (never throws for bad input). */
export async function verifyPassword (hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined

/**
 * A hash of a random password with the same parameters, made once per process (call at boot).
 * Login with an unknown email verifies against it so that both failures cost one argon2 verification
 * and cannot be told apart by timing (OWASP Authentication Cheat Sheet, "Authentication Responses").
 */
export async function dummyPasswordHash (): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'))
  return dummyHash
}
