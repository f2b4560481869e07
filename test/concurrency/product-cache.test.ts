/**
 * Two instances sharing one Redis and one PostgreSQL database: a write through one is visible through the
 * other within the process-memory tier's bound, because the writer drops the shared cache entry before it
 * answers, and the other instance drops its copy in process memory when the message of it arrives (usually
 * within a millisecond; the rate-limit round trip every request used to make hid that delay).
 * PGlite cannot be shared by two apps, and the in-memory cache is per process, so this needs both services.
 */
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, usingPostgres, usingRedis } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { createProduct, readUntil, type ProductBody } from '../support/fixtures.js'
import { LOCAL_TIER_TTL_MS } from '../../src/cache/local-tier.js'
import { runAlone } from '../support/test-file.js'

async function stockVia (app: FastifyInstance, id: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/products/${id}` })).json<ProductBody>().stock
}

/** What the other instance reads once the write has reached it, asked again until the bound (and a margin) is past. */
async function readWithinBound<T> (read: () => Promise<T>, expected: T): Promise<T> {
  return readUntil(read, expected, LOCAL_TIER_TTL_MS + 1000)
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function productCacheTests (t: Test): Promise<void> {
  t.test('two instances share the product cache', { skip: usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL (two instances, one database, one Redis)' }, async (t) => {
    const { app: instanceA } = await buildTestApp(t)
    const { app: instanceB } = await buildTestApp(t)
    const admin = await createTestUser(instanceA, 'admin')
    const buyer = await createTestUser(instanceA, 'customer')

    t.test('B serves reads from the shared cache', async (t) => {
      const product = await createProduct(instanceA, admin, { stock: 10 })
      t.equal(await stockVia(instanceB, product.id), 10)
      // Behind the API's back: only a cache hit can still answer 10.
      await instanceA.db.query('UPDATE products SET stock = 99 WHERE id = $1', [product.id])
      t.equal(await stockVia(instanceB, product.id), 10)
    })

    t.test('an order through A shows in the stock read through B within the bound', async (t) => {
      const product = await createProduct(instanceA, admin, { stock: 10 })
      t.equal(await stockVia(instanceB, product.id), 10, 'B cached the product')
      const order = await instanceA.inject({
        method: 'POST', url: '/v1/orders', headers: buyer.headers, payload: { items: [{ productId: product.id, quantity: 3 }] }
      })
      t.equal(order.statusCode, 201)
      t.equal(await readWithinBound(async () => stockVia(instanceB, product.id), 7), 7)
      const cancel = await instanceA.inject({ method: 'POST', url: `/v1/orders/${order.json<{ id: string }>().id}/cancel`, headers: buyer.headers })
      t.equal(cancel.statusCode, 200)
      t.equal(await readWithinBound(async () => stockVia(instanceB, product.id), 10), 10, 'and so does the cancellation')
    })

    t.test('a product write through A shows through B within the bound', async (t) => {
      const product = await createProduct(instanceA, admin, { priceCents: 100 })
      await stockVia(instanceB, product.id)
      await instanceA.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { priceCents: 175 } })
      t.equal(await readWithinBound(async () => (await instanceB.inject({ method: 'GET', url: `/v1/products/${product.id}` })).json<ProductBody>().priceCents, 175), 175)
      await instanceA.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })
      t.equal(await readWithinBound(async () => (await instanceB.inject({ method: 'GET', url: `/v1/products/${product.id}` })).statusCode, 404), 404)
    })
  })
}

await runAlone(import.meta.url, productCacheTests)
