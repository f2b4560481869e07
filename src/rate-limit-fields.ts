/**
 * The rate-limit header fields of the current IETF draft (draft-ietf-httpapi-ratelimit-headers): two
 * Structured Fields (RFC 9651) lists with one item per policy the request was counted against.
 *   RateLimit-Policy: "default";q=100;w=60, "auth";q=10;w=60    (quota, window in seconds)
 *   RateLimit: "default";r=42;t=30, "auth";r=9;t=30             (remaining, seconds until the window resets)
 * @fastify/rate-limit 11 writes only the earlier draft's RateLimit-Limit/-Remaining/-Reset, so they are built here.
 */
export interface PolicyState {
  /** The policy's name: an sf-string of printable ASCII without `"` or `\`. */
  name: string
  quota: number
  windowSeconds: number
  remaining: number
  resetSeconds: number
}

const SAFE_NAME = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/

function item (name: string, parameters: Array<[string, number]>): string {
  if (!SAFE_NAME.test(name)) throw new Error(`rate-limit policy name ${JSON.stringify(name)} is not a plain sf-string`)
  // sf-integers: non-negative whole numbers here (a negative or fractional figure would break a strict parser).
  return `"${name}"${parameters.map(([key, value]) => `;${key}=${Math.max(0, Math.trunc(value))}`).join('')}`
}

export function policyField (policies: readonly PolicyState[]): string {
  return policies.map((policy) => item(policy.name, [['q', policy.quota], ['w', policy.windowSeconds]])).join(', ')
}

export function stateField (policies: readonly PolicyState[]): string {
  return policies.map((policy) => item(policy.name, [['r', policy.remaining], ['t', policy.resetSeconds]])).join(', ')
}
