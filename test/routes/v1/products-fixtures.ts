import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { TestUser } from '../../support/users.js'

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
