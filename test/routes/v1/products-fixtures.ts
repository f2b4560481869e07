import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildTestApp, type TestApp, type TestAppOptions } from '../../helper.js'
import type { TestUser } from '../../support/users.js'

/**
 * buildTestApp with load shedding out of the way: on a busy 2-core machine, booting PGlite (WASM) blocks
 * the event loop for over a second and under-pressure then answers 503 to the first requests of a test.
 */
export async function buildCatalogApp (t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(t, { ...options, env: { MAX_EVENT_LOOP_DELAY_MS: '600000', ...options.env } })
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

/** A SKU no other test (or test process sharing the PostgreSQL database) uses. */
export function uniqueSku (prefix = 'T'): string {
  return `${prefix}-${randomBytes(6).toString('hex').toUpperCase()}`
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
