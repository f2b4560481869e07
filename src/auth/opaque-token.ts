import { createHash, createHmac, randomBytes } from 'node:crypto'

/** 256 bits from the CSPRNG: unguessable, so a fast hash is enough to store it (unlike a password). */
const REFRESH_TOKEN_BYTES = 32

export function newRefreshToken (): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url')
}

/** Only this digest is stored: a leaked table cannot be replayed as tokens. */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * The token that rotation issues after `presented`: HMAC-SHA256 of it under a key derived from the server secret.
 * Deterministic on purpose: when two tabs present the same token at once, the loser of the race can be given the
 * very same successor again (REFRESH_REUSE_GRACE_SECONDS) although only hashes are stored; storing the successor
 * encrypted would need a second key and a column for a value that can be recomputed. Without the secret the
 * successor is as unpredictable as a random token (HMAC is a PRF), and whoever holds the secret can sign access
 * tokens anyway. Every replica shares JWT_SECRET, so each derives the same successor.
 */
export function successorRefreshToken (presented: string, serverSecret: string): string {
  const key = createHmac('sha256', serverSecret).update('refresh-token-successor/v1').digest()
  return createHmac('sha256', key).update(presented).digest('base64url')
}
