import { createHash, randomBytes } from 'node:crypto'

/** 256 bits from the CSPRNG: unguessable, so a fast hash is enough to store it (unlike a password). */
const REFRESH_TOKEN_BYTES = 32

export function newRefreshToken (): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url')
}

/** Only this digest is stored: a leaked table cannot be replayed as tokens. */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
