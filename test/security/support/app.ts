/** Keys that would mean a secret left the service (docs/api.md: no password, hash or token hash in any response). */
const SECRET_KEY = /pass(word)?|hash|secret|salt|token_?hash|refresh_?token_?hash/i
const ALLOWED_KEYS = new Set(['accessToken', 'refreshToken'])

/** Paths (JSON pointers) of every key in a JSON value that looks like a secret. */
export function secretKeysIn (value: unknown, pointer = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => secretKeysIn(item, `${pointer}/${index}`))
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(SECRET_KEY.test(key) && !ALLOWED_KEYS.has(key) ? [`${pointer}/${key}`] : []),
    ...secretKeysIn(inner, `${pointer}/${key}`)
  ])
}

/** Argon2 / bcrypt hash shapes, in case a hash leaks under an innocent key. */
export const HASH_TEXT = /\$argon2(id|i|d)\$|\$2[aby]\$\d\d\$/
