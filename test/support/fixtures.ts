/**
 * The small fixtures most test files need, in one place: unique names (tests share one database per test file and,
 * on PostgreSQL, run beside other processes), the problem media type, a pause, products and orders made through the API.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { TestUser } from './users.js'
import { PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE } from '../../schemas/problem.js'

/** Every error answer's Content-Type (RFC 9457); a charset parameter may follow. */
export const PROBLEM_JSON = new RegExp(`^${PROBLEM_MEDIA_TYPE.replace(/[+]/g, '\\+')}(;|$)`)

export async function pause (ms: number): Promise<void> {
  await sleep(ms)
}

/**
 * Reads until the answer is `expected` or `limitMs` has passed, and returns the last answer: for what is allowed
 * to arrive late within a bound (a message to another replica, a periodic flush). The caller asserts on it.
 */
export async function readUntil<T> (read: () => Promise<T>, expected: T, limitMs: number, everyMs = 10): Promise<T> {
  const deadline = Date.now() + limitMs
  let seen = await read()
  while (seen !== expected && Date.now() < deadline) {
    await pause(everyMs)
    seen = await read()
  }
  return seen
}

let emailCounter = 0

/** An address no other test (or test process sharing the PostgreSQL database) has registered. */
export function uniqueEmail (prefix = 'user'): string {
  emailCounter++
  return `${prefix}-${process.pid}-${emailCounter}-${randomBytes(4).toString('hex')}@example.test`
}

/** A SKU no other test (or test process sharing the PostgreSQL database) uses. */
export function uniqueSku (prefix = 'T'): string {
  return `${prefix}-${randomBytes(6).toString('hex').toUpperCase()}`
}

export interface ProductBody {
  id: string
  sku: string
  name: string
  description: string
  priceCents: number
  stock: number
  createdAt: string
  updatedAt: string
}

/** Creates a product through the API as `admin`; fails the caller loudly if that did not answer 201. */
export async function createProduct (
  app: FastifyInstance, admin: TestUser, fields: Partial<Omit<ProductBody, 'id' | 'createdAt' | 'updatedAt'>> = {}
): Promise<ProductBody> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/products',
    headers: admin.headers,
    payload: { sku: uniqueSku(), name: 'Test product', priceCents: 1000, stock: 10, ...fields }
  })
  if (response.statusCode !== 201) throw new Error(`product create answered ${response.statusCode}: ${response.body}`)
  return response.json<ProductBody>()
}

/** Places an order of one line through the API as `user`. */
export async function placeOrder (app: FastifyInstance, user: TestUser, productId: string, quantity = 1): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/orders', headers: user.headers, payload: { items: [{ productId, quantity }] } })
}

/** The full `type` URI of a problem (RFC 9457), for exact comparisons: problemType('token-revoked'). */
export function problemType (slug: string): string {
  return `${PROBLEM_TYPE_BASE}${slug}`
}
