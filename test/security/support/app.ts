import { randomBytes } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildTestApp, type TestApp, type TestAppOptions } from '../../helper.js'
import type { TestUser } from '../../support/users.js'

/**
 * buildTestApp with load shedding out of the way: these suites send thousands of requests on a busy
 * 2-core machine, and an event-loop-delay 503 would be noise, not a finding.
 */
export async function buildSecurityApp (t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(t, { ...options, env: { MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env } })
}

export interface ProductFixture {
  id: string
  sku: string
  priceCents: number
  stock: number
}

export function uniqueSku (): string {
  return `SEC-${randomBytes(6).toString('hex').toUpperCase()}`
}

export async function createProduct (app: FastifyInstance, admin: TestUser, fields: { priceCents?: number, stock?: number } = {}): Promise<ProductFixture> {
  const response = await injectPatiently(app, {
    method: 'POST',
    url: '/v1/products',
    headers: admin.headers,
    payload: { sku: uniqueSku(), name: 'Security fixture', priceCents: 500, stock: 1000, ...fields }
  })
  if (response.statusCode !== 201) throw new Error(`product fixture: ${response.statusCode} ${response.body}`)
  return response.json<ProductFixture>()
}

export async function placeOrder (app: FastifyInstance, user: TestUser, productId: string, quantity = 1): Promise<LightMyRequestResponse> {
  return injectPatiently(app, { method: 'POST', url: '/v1/orders', headers: user.headers, payload: { items: [{ productId, quantity }] } })
}

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

const SHED_RETRIES = 3

/**
 * app.inject that retries an answer from load shedding (@fastify/under-pressure: 503 + retry-after) after the
 * advertised wait, as a well-behaved client would. On a saturated 2-core machine under-pressure sheds even with
 * a huge MAX_EVENT_LOOP_DELAY_MS: an interval without a single loop-delay sample reads as NaN, which it turns
 * into Infinity. Any other 503 (a dependency down) is returned as it is.
 */
export async function injectPatiently (app: FastifyInstance, options: InjectOptions): Promise<LightMyRequestResponse> {
  let response = await app.inject(options)
  for (let attempt = 0; attempt < SHED_RETRIES && isShed(response); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers['retry-after'] ?? 1) * 1000))
    response = await app.inject(options)
  }
  return response
}

function isShed (response: LightMyRequestResponse): boolean {
  if (response.statusCode !== 503 || response.headers['retry-after'] === undefined) return false
  try {
    return response.json<{ detail?: string }>().detail === 'Service Unavailable'
  } catch {
    return false
  }
}
