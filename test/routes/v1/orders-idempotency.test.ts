import type { Test } from 'tap'
import { buildTestApp } from '../../helper.js'
import type { FastifyInstance } from 'fastify'
import { createTestUser, type TestUser } from '../../support/users.js'
import { createProduct, problemType, type ProductBody } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

function place (app: FastifyInstance, user: TestUser, key: string, items: Array<{ productId: string, quantity: number }>) {
  return app.inject({ method: 'POST', url: '/v1/orders', headers: { ...user.headers, 'idempotency-key': key }, payload: { items } })
}

async function stockOf (app: FastifyInstance, id: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/products/${id}` })).json<ProductBody>().stock
}

async function orderCount (app: FastifyInstance, user: TestUser): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/v1/orders', headers: user.headers })).json<{ pagination: { total: number } }>().pagination.total
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function orderIdempotencyTests (t: Test): Promise<void> {
  t.test('Idempotency-Key on POST /v1/orders', async (t) => {
    const { app } = await buildTestApp(t)
    const admin = await createTestUser(app, 'admin')

    t.test('a replay answers the first response again and places nothing new', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 10 })
      const items = [{ productId: product.id, quantity: 3 }]
      const first = await place(app, customer, 'order-2026-0001', items)
      t.equal(first.statusCode, 201)
      t.equal(first.headers['idempotent-replayed'], undefined, 'a first answer is not marked replayed')
      const replay = await place(app, customer, 'order-2026-0001', items)
      t.equal(replay.statusCode, 201)
      t.equal(replay.headers['idempotent-replayed'], 'true')
      t.equal(replay.body, first.body, 'byte-identical body')
      t.equal(replay.headers.location, first.headers.location)
      t.equal(await stockOf(app, product.id), 7, 'stock taken once')
      t.equal(await orderCount(app, customer), 1)
    })

    t.test('the replay is the first response even after the order changed', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 10 })
      const items = [{ productId: product.id, quantity: 1 }]
      const first = await place(app, customer, 'k-cancel', items)
      await app.inject({ method: 'POST', url: `/v1/orders/${first.json<{ id: string }>().id}/cancel`, headers: customer.headers })
      const replay = await place(app, customer, 'k-cancel', items)
      t.equal(replay.body, first.body)
      t.equal(await stockOf(app, product.id), 10)
    })

    t.test('the same key with a different body is 422 and places nothing', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 10 })
      t.equal((await place(app, customer, 'k1', [{ productId: product.id, quantity: 1 }])).statusCode, 201)
      const reused = await place(app, customer, 'k1', [{ productId: product.id, quantity: 2 }])
      t.equal(reused.statusCode, 422)
      t.equal(reused.json().type, problemType('idempotency-key-reused'))
      t.equal(await stockOf(app, product.id), 9)
    })

    t.test('keys belong to one user: another user with the same key places their own order', async (t) => {
      const alice = await createTestUser(app, 'customer')
      const bob = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 10 })
      const items = [{ productId: product.id, quantity: 1 }]
      const fromAlice = await place(app, alice, 'shared-key', items)
      const fromBob = await place(app, bob, 'shared-key', items)
      t.equal(fromBob.statusCode, 201)
      t.equal(fromBob.headers['idempotent-replayed'], undefined)
      t.not(fromBob.json<{ id: string }>().id, fromAlice.json<{ id: string }>().id)
      t.equal(await stockOf(app, product.id), 8)
    })

    t.test('a failed attempt is not stored: the retry is judged afresh', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 1 })
      const items = [{ productId: product.id, quantity: 2 }]
      t.equal((await place(app, customer, 'k-retry', items)).statusCode, 409)
      await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { stock: 5 } })
      const retry = await place(app, customer, 'k-retry', items)
      t.equal(retry.statusCode, 201)
      t.equal(retry.headers['idempotent-replayed'], undefined)
      t.equal(await stockOf(app, product.id), 3)
    })

    t.test('a key that is empty, too long or not printable ASCII is 400', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const product = await createProduct(app, admin, { stock: 10 })
      for (const key of ['', 'x'.repeat(256), 'tab\there', 'caf\u00e9']) {
        const response = await app.inject({
          method: 'POST', url: '/v1/orders', headers: { ...customer.headers, 'idempotency-key': key }, payload: { items: [{ productId: product.id, quantity: 1 }] }
        })
        t.equal(response.statusCode, 400, JSON.stringify(key))
      }
      t.equal((await place(app, customer, 'x'.repeat(255), [{ productId: product.id, quantity: 1 }])).statusCode, 201, '255 chars is fine')
      t.equal(await stockOf(app, product.id), 9)
    })
  })
}

await runAlone(import.meta.url, orderIdempotencyTests)
