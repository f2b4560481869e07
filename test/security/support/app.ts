import { randomBytes } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { TestUser } from '../../support/users.js'

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
  const response = await app.inject({
    method: 'POST',
    url: '/v1/products',
    headers: admin.headers,
    payload: { sku: uniqueSku(), name: 'Security fixture', priceCents: 500, stock: 1000, ...fields }
  })
  if (response.statusCode !== 201) throw new Error(`product fixture: ${response.statusCode} ${response.body}`)
  return response.json<ProductFixture>()
}

export async function placeOrder (app: FastifyInstance, user: TestUser, productId: string, quantity = 1): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/orders', headers: user.headers, payload: { items: [{ productId, quantity }] } })
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
