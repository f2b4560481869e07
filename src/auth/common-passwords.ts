/**
 * Known-compromised passwords (NIST SP 800-63B §3.1.1.2), from a maintained list: the common-password dictionary
 * of zxcvbn-ts (@zxcvbn-ts/language-common, ~49 000 entries gathered from public breach corpora). Only entries of
 * at least the minimum length are kept; shorter ones already fail the length rule. Loaded on the first check
 * (~40 ms, a few MiB), not at boot: most processes never see a new password. Entries are compared lower-cased.
 */
let commonPasswords: Promise<Set<string>> | undefined

async function load (minLength: number): Promise<Set<string>> {
  const { dictionary } = await import('@zxcvbn-ts/language-common')
  return new Set(dictionary['passwords-common'].filter((entry) => [...entry].length >= minLength).map((entry) => entry.toLowerCase()))
}

export async function isCommonPassword (lowerCased: string, minLength: number): Promise<boolean> {
  commonPasswords ??= load(minLength)
  return (await commonPasswords).has(lowerCased)
}
