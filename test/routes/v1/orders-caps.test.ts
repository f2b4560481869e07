/**
 * OWASP API6 caps on orders: units per line and lines per order (request schema limits, in the OpenAPI
 * document), units per order (422 order-too-large) and open units per customer (409 open-units-exceeded),
 * each at its boundary. Small caps keep the fixtures small; the defaults are in test/config.test.ts.
 */
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { createTestUser, type TestUser } from '../../support/users.js'
import { createProduct, PROBLEM_JSON, problemType, type ProductBody } from '../../support/fixtures.js'
import { requestHash } from '../../../src/orders/service.js'
import { runAlone } from '../../support/test-file.js'

const CAPS = { ORDER_MAX_UNITS_PER_LINE: '5', ORDER_MAX_LINES: '3', ORDER_MAX_UNITS: '12', CUSTOMER_MAX_OPEN_UNITS: '20' }

type Line = { productId: string, quantity: number }

interface OpenApi {
  paths: Record<string, Record<string, {
    requestBody: { content: Record<string, { schema: { properties: { items: { maxItems: number, description: string, items: { properties: { quantity: { maximum: number } } } } } } }> }
  }>>
}

function place (app: FastifyInstance, user: TestUser, items: Line[], key?: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...user.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: { items }
  })
}

async function stockOf (app: FastifyInstance, id: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/products/${id}` })).json<ProductBody>().stock
}

function problemOf (response: LightMyRequestResponse): Record<string, unknown> {
  return response.json<Record<string, unknown>>()
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function orderCapsTests (t: Test): Promise<void> {
  t.test('order caps', async (t) => {
    const { app } = await buildTestApp(t, { env: CAPS })
    const admin = await createTestUser(app, 'admin')
    /** Products with stock to spare, so only the caps can refuse an order. */
    const products = await Promise.all([0, 1, 2, 3].map(async () => createProduct(app, admin, { stock: 1000 })))
    const lines = (...quantities: number[]): Line[] => quantities.map((quantity, i) => ({ productId: products[i]?.id ?? '', quantity }))

    t.test('units per line and lines per order are schema limits the OpenAPI document shows', async (t) => {
      const document = app.swagger() as unknown as OpenApi
      const body = document.paths['/v1/orders']?.post?.requestBody.content['application/json']?.schema
      t.equal(body?.properties.items.maxItems, 3)
      t.equal(body?.properties.items.items.properties.quantity.maximum, 5)
      t.match(body?.properties.items.description, /At most 12 units in all \(else 422 order-too-large\)/)
      t.match(body?.properties.items.description, /at most 20 units in your placed, not cancelled, orders/)
    })

    t.test('units per line: exactly the cap is placed, one more is a 400 naming the field', async (t) => {
      const customer = await createTestUser(app, 'customer')
      t.equal((await place(app, customer, lines(5))).statusCode, 201)
      const over = await place(app, customer, lines(6))
      t.equal(over.statusCode, 400)
      t.match(over.headers['content-type'], PROBLEM_JSON)
      t.equal(problemOf(over).type, problemType('validation'))
      t.same(problemOf(over).errors, [{ field: '/body/items/0/quantity', message: 'must be <= 5' }])
    })

    t.test('lines per order: exactly the cap is placed, one more is a 400 naming the field', async (t) => {
      const customer = await createTestUser(app, 'customer')
      t.equal((await place(app, customer, lines(1, 1, 1))).statusCode, 201)
      const over = await place(app, customer, lines(1, 1, 1, 1))
      t.equal(over.statusCode, 400)
      t.equal(problemOf(over).type, problemType('validation'))
      t.same(problemOf(over).errors, [{ field: '/body/items', message: 'must NOT have more than 3 items' }])
    })

    t.test('units per order: exactly the cap is placed, one more is 422 order-too-large naming the cap', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const stockBefore = await stockOf(app, products[2]?.id ?? '')
      t.equal((await place(app, customer, lines(5, 5, 2))).statusCode, 201)
      const over = await place(app, customer, lines(5, 5, 3))
      t.equal(over.statusCode, 422)
      t.match(over.headers['content-type'], PROBLEM_JSON)
      t.has(problemOf(over), {
        type: problemType('order-too-large'),
        status: 422,
        detail: 'An order may hold at most 12 units in all; this one has 13',
        maxUnits: 12,
        requestedUnits: 13
      })
      t.equal(await stockOf(app, products[2]?.id ?? ''), stockBefore - 2, 'the refused order took nothing')
    })

    t.test('open units: up to the cap is placed, one more is 409 open-units-exceeded; a cancellation frees units', async (t) => {
      const alice = await createTestUser(app, 'customer')
      const bob = await createTestUser(app, 'customer')
      t.equal((await place(app, alice, lines(5, 5, 2))).statusCode, 201)
      const eight = await place(app, alice, lines(4, 4))
      t.equal(eight.statusCode, 201, 'exactly 20 open units')
      const stockBefore = await stockOf(app, products[0]?.id ?? '')
      const over = await place(app, alice, lines(1))
      t.equal(over.statusCode, 409)
      t.match(over.headers['content-type'], PROBLEM_JSON)
      t.match(problemOf(over).detail, /^At most 20 units may be in your placed orders at once; 20 are, and this order adds 1\./)
      t.has(problemOf(over), {
        type: problemType('open-units-exceeded'),
        status: 409,
        maxOpenUnits: 20,
        openUnits: 20,
        requestedUnits: 1
      })
      t.equal(await stockOf(app, products[0]?.id ?? ''), stockBefore, 'the refused order took nothing')
      t.equal((await place(app, bob, lines(5, 5, 2))).statusCode, 201, "another customer's open units are their own")

      const cancelled = await app.inject({ method: 'POST', url: `/v1/orders/${eight.json<{ id: string }>().id}/cancel`, headers: alice.headers })
      t.equal(cancelled.statusCode, 200)
      t.equal((await place(app, alice, lines(4, 4))).statusCode, 201, 'the cancelled 8 units are free again')
      t.equal((await place(app, alice, lines(1))).statusCode, 409, 'and the cap holds again')
    })

    t.test("the account's open-units counter follows placements, refusals and cancellations", async (t) => {
      const customer = await createTestUser(app, 'customer')
      const counted = async () => {
        const { rows } = await app.db.query<{ counter: number, placed: number }>(
          `SELECT u.open_units AS counter, (SELECT coalesce(sum(i.quantity), 0)::int FROM orders o JOIN order_items i ON i.order_id = o.id
             WHERE o.user_id = u.id AND o.status = 'placed') AS placed
           FROM users u WHERE u.id = $1`, [customer.id])
        return rows[0]
      }
      const first = await place(app, customer, lines(5, 5, 2))
      t.equal(first.statusCode, 201)
      t.same(await counted(), { counter: 12, placed: 12 })
      t.equal((await place(app, customer, lines(5, 5))).statusCode, 409, 'over the cap')
      t.equal((await place(app, customer, [{ productId: products[0]?.id ?? '', quantity: 1 }, { productId: products[1]?.id ?? '', quantity: 1 }, { productId: products[1]?.id.toUpperCase() ?? '', quantity: 1 }])).statusCode, 400)
      t.same(await counted(), { counter: 12, placed: 12 }, 'refusals add nothing')
      t.equal((await place(app, customer, lines(4))).statusCode, 201)
      const cancel = await app.inject({ method: 'POST', url: `/v1/orders/${first.json<{ id: string }>().id}/cancel`, headers: customer.headers })
      t.equal(cancel.statusCode, 200)
      t.same(await counted(), { counter: 4, placed: 4 }, 'a cancellation frees its units')
      t.equal((await app.inject({ method: 'POST', url: `/v1/orders/${first.json<{ id: string }>().id}/cancel`, headers: customer.headers })).statusCode, 409)
      t.same(await counted(), { counter: 4, placed: 4 }, 'a second cancellation frees nothing')
    })

    t.test('a refused order does not count as open', async (t) => {
      const customer = await createTestUser(app, 'customer')
      t.equal((await place(app, customer, lines(5, 5, 3))).statusCode, 422)
      t.equal((await place(app, customer, lines(5, 5, 2))).statusCode, 201)
      t.equal((await place(app, customer, lines(4, 4))).statusCode, 201, '12 + 8: the refused 13 were never open')
    })

    t.test('admins placing orders meet the same caps', async (t) => {
      const other = await createTestUser(app, 'admin')
      t.has(problemOf(await place(app, other, lines(5, 5, 3))), { status: 422, type: problemType('order-too-large') })
      t.equal((await place(app, other, lines(6))).statusCode, 400)
      t.equal((await place(app, other, lines(5, 5, 2))).statusCode, 201)
      t.equal((await place(app, other, lines(4, 4))).statusCode, 201)
      t.has(problemOf(await place(app, other, lines(1))), { status: 409, type: problemType('open-units-exceeded'), openUnits: 20 })
    })

    t.test('an idempotent replay still replays when the customer is at the cap', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const first = await place(app, customer, lines(5, 5, 2), 'caps-replay')
      t.equal(first.statusCode, 201)
      t.equal((await place(app, customer, lines(4, 4))).statusCode, 201, 'now at 20 open units')
      const replay = await place(app, customer, lines(5, 5, 2), 'caps-replay')
      t.equal(replay.statusCode, 201)
      t.equal(replay.headers['idempotent-replayed'], 'true')
      t.equal(replay.body, first.body)
      t.equal((await place(app, customer, lines(1), 'caps-new-key')).statusCode, 409, 'a new key is a new order and meets the cap')
    })

    t.test('over the units cap, a key already answered is replayed; a new key is 422 and claims nothing', async (t) => {
      const customer = await createTestUser(app, 'customer')
      const first = await place(app, customer, lines(5, 5, 2), 'caps-lowered')
      t.equal(first.statusCode, 201)
      // As if the first request had been 13 units, placed before ORDER_MAX_UNITS went down from 13 to 12.
      const overCap = lines(5, 5, 3)
      await app.db.query('UPDATE idempotency_keys SET request_hash = $3 WHERE user_id = $1 AND key = $2',
        [customer.id, 'caps-lowered', requestHash({ items: overCap })])
      const replay = await place(app, customer, overCap, 'caps-lowered')
      t.equal(replay.statusCode, 201, 'the stored answer, whatever the cap is now')
      t.equal(replay.headers['idempotent-replayed'], 'true')
      t.equal(replay.body, first.body)

      const fresh = await place(app, customer, overCap, 'caps-fresh')
      t.equal(fresh.statusCode, 422)
      t.equal(problemOf(fresh).type, problemType('order-too-large'))
      const { rows } = await app.db.query('SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2', [customer.id, 'caps-fresh'])
      t.equal(rows.length, 0, 'the refused key was not claimed')
    })

    t.test('an order from an account that no longer exists is 401, not a 500', async (t) => {
      const gone = await createTestUser(app, 'customer')
      await app.db.query('DELETE FROM users WHERE id = $1', [gone.id])
      const response = await place(app, gone, lines(1))
      t.equal(response.statusCode, 401)
      t.match(response.headers['content-type'], PROBLEM_JSON)
    })
  })
}

await runAlone(import.meta.url, orderCapsTests)
