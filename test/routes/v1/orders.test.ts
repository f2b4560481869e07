import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildTestApp } from '../../helper.js'
import type { FastifyInstance } from 'fastify'
import { createTestUser, type TestUser } from '../../support/users.js'
import { createProduct, PROBLEM_JSON, problemType, type ProductBody } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

interface OrderBody {
  id: string
  userId: string
  status: 'placed' | 'cancelled'
  items: Array<{ productId: string, sku: string, name: string, quantity: number, unitPriceCents: number, lineTotalCents: number }>
  totalCents: number
  createdAt: string
  updatedAt: string
}

interface OrderList {
  data: OrderBody[]
  pagination: { page: number, limit: number, total: number, pages: number }
}

function place (app: FastifyInstance, user: TestUser, items: Array<{ productId: string, quantity: number }>) {
  return app.inject({ method: 'POST', url: '/v1/orders', headers: user.headers, payload: { items } })
}

async function stockOf (app: FastifyInstance, id: string): Promise<number> {
  const response = await app.inject({ method: 'GET', url: `/v1/products/${id}` })
  return response.json<ProductBody>().stock
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function ordersTests (t: Test): Promise<void> {
  // One app and one admin for the file: every group places orders as customers of its own, on products of its own.
  const { app } = await buildTestApp(t)
  const admin = await createTestUser(app, 'admin')

  t.test('placing orders', async (t) => {
    const customer = await createTestUser(app, 'customer')

    t.test('201 with location, catalog prices and totals, and stock taken', async (t) => {
      const mug = await createProduct(app, admin, { name: 'Mug', priceCents: 1250, stock: 5 })
      const tea = await createProduct(app, admin, { name: 'Tea', priceCents: 399, stock: 10 })
      await stockOf(app, mug.id) // cached now: the order must invalidate it
      const response = await place(app, customer, [{ productId: mug.id, quantity: 2 }, { productId: tea.id, quantity: 3 }])
      t.equal(response.statusCode, 201)
      const order = response.json<OrderBody>()
      t.equal(response.headers.location, `/v1/orders/${order.id}`)
      t.has(order, { userId: customer.id, status: 'placed', totalCents: 2 * 1250 + 3 * 399 })
      t.same(order.items, [
        { productId: mug.id, sku: mug.sku, name: 'Mug', quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500 },
        { productId: tea.id, sku: tea.sku, name: 'Tea', quantity: 3, unitPriceCents: 399, lineTotalCents: 1197 }
      ])
      t.equal(await stockOf(app, mug.id), 3)
      t.equal(await stockOf(app, tea.id), 7)
      const read = await app.inject({ method: 'GET', url: String(response.headers.location), headers: customer.headers })
      t.same(read.json(), order)
    })

    t.test("an order changes the product's etag, so a conditional read sees the new stock", async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const before = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      await place(app, customer, [{ productId: product.id, quantity: 1 }])
      const after = await app.inject({ method: 'GET', url: `/v1/products/${product.id}`, headers: { 'if-none-match': String(before.headers.etag) } })
      t.equal(after.statusCode, 200)
      t.equal(after.json<ProductBody>().stock, 4)
      t.not(after.headers.etag, before.headers.etag)
    })

    t.test('ordering the last unit leaves zero stock; the next is 409', async (t) => {
      const product = await createProduct(app, admin, { stock: 1 })
      t.equal((await place(app, customer, [{ productId: product.id, quantity: 1 }])).statusCode, 201)
      t.equal(await stockOf(app, product.id), 0)
      t.equal((await place(app, customer, [{ productId: product.id, quantity: 1 }])).statusCode, 409)
    })

    t.test('insufficient stock is 409 with shortages, and nothing is taken from any line', async (t) => {
      const plenty = await createProduct(app, admin, { stock: 100 })
      const scarce = await createProduct(app, admin, { stock: 2 })
      const response = await place(app, customer, [{ productId: plenty.id, quantity: 5 }, { productId: scarce.id, quantity: 3 }])
      t.equal(response.statusCode, 409)
      t.match(response.headers['content-type'], PROBLEM_JSON)
      t.has(response.json(), { status: 409, type: problemType('insufficient-stock') })
      t.same(response.json<{ shortages: unknown[] }>().shortages, [{ productId: scarce.id, requested: 3, available: 2 }])
      t.equal(await stockOf(app, plenty.id), 100)
      t.equal(await stockOf(app, scarce.id), 2)
    })

    t.test('an unknown or archived product is 422 and nothing is taken', async (t) => {
      const live = await createProduct(app, admin, { stock: 10 })
      const unknown = await place(app, customer, [{ productId: live.id, quantity: 1 }, { productId: randomUUID(), quantity: 1 }])
      t.equal(unknown.statusCode, 422)
      t.match(unknown.headers['content-type'], PROBLEM_JSON)
      const archived = await createProduct(app, admin, { stock: 10 })
      await app.inject({ method: 'DELETE', url: `/v1/products/${archived.id}`, headers: admin.headers })
      t.equal((await place(app, customer, [{ productId: live.id, quantity: 1 }, { productId: archived.id, quantity: 1 }])).statusCode, 422)
      t.equal(await stockOf(app, live.id), 10)
    })

    t.test('every short line is in the shortages, in the order of the request, and nothing is taken', async (t) => {
      const first = await createProduct(app, admin, { stock: 1 })
      const fine = await createProduct(app, admin, { stock: 50 })
      const last = await createProduct(app, admin, { stock: 0 })
      const response = await place(app, customer, [
        { productId: first.id, quantity: 4 }, { productId: fine.id, quantity: 7 }, { productId: last.id.toUpperCase(), quantity: 2 }
      ])
      t.equal(response.statusCode, 409)
      t.same(response.json<{ shortages: unknown[] }>().shortages, [
        { productId: first.id, requested: 4, available: 1 },
        { productId: last.id, requested: 2, available: 0 }
      ])
      t.same([await stockOf(app, first.id), await stockOf(app, fine.id), await stockOf(app, last.id)], [1, 50, 0])
    })

    t.test('an unknown product and a short line together: 422 naming only the unknown one, nothing taken', async (t) => {
      const scarce = await createProduct(app, admin, { stock: 1 })
      const plenty = await createProduct(app, admin, { stock: 10 })
      const missing = randomUUID()
      const response = await place(app, customer, [
        { productId: plenty.id, quantity: 2 }, { productId: scarce.id, quantity: 5 }, { productId: missing, quantity: 1 }
      ])
      t.equal(response.statusCode, 422)
      t.has(response.json(), { type: problemType('unknown-product'), detail: `Unknown or archived product: ${missing}` })
      t.same([await stockOf(app, scarce.id), await stockOf(app, plenty.id)], [1, 10])
      const orders = await app.inject({ method: 'GET', url: '/v1/orders?limit=100', headers: customer.headers })
      t.notOk(orders.json<OrderList>().data.some((order) => order.items.some((item) => item.productId === plenty.id)), 'no order holds it')
    })

    t.test('the answer to the order is what a later read of it answers, timestamps included', async (t) => {
      const product = await createProduct(app, admin, { stock: 100 })
      for (let i = 0; i < 5; i++) {
        const placed = await place(app, customer, [{ productId: product.id, quantity: 1 }])
        const read = await app.inject({ method: 'GET', url: `/v1/orders/${placed.json<OrderBody>().id}`, headers: customer.headers })
        t.equal(read.body, placed.body)
        t.equal(new Date(placed.json<OrderBody>().createdAt).toISOString(), placed.json<OrderBody>().createdAt, 'an ISO 8601 instant')
      }
    })

    t.test('malformed orders are 400 problems', async (t) => {
      const product = await createProduct(app, admin, { stock: 10 })
      const line = { productId: product.id, quantity: 1 }
      const payloads: Array<[string, unknown]> = [
        ['no items', { items: [] }],
        ['51 lines', { items: Array.from({ length: 51 }, () => ({ productId: randomUUID(), quantity: 1 })) }],
        ['duplicate productId', { items: [line, { productId: product.id, quantity: 2 }] }],
        ['duplicate productId in another case', { items: [line, { productId: product.id.toUpperCase(), quantity: 2 }] }],
        ['quantity 0', { items: [{ ...line, quantity: 0 }] }],
        ['quantity 1001', { items: [{ ...line, quantity: 1001 }] }],
        ['fractional quantity', { items: [{ ...line, quantity: 1.5 }] }],
        ['client price', { items: [{ ...line, unitPriceCents: 1 }] }],
        ['unknown field', { items: [line], note: 'hi' }],
        ['productId not a uuid', { items: [{ productId: 'abc', quantity: 1 }] }],
        ['missing items', {}]
      ]
      for (const [name, payload] of payloads) {
        const response = await app.inject({ method: 'POST', url: '/v1/orders', headers: customer.headers, payload: payload as Record<string, unknown> })
        t.equal(response.statusCode, 400, name)
        t.match(response.headers['content-type'], PROBLEM_JSON, name)
      }
      t.equal(await stockOf(app, product.id), 10)
    })

    t.test('a non-JSON body is 415', async (t) => {
      const response = await app.inject({
        method: 'POST', url: '/v1/orders', headers: { ...customer.headers, 'content-type': 'application/xml' }, payload: '<items/>'
      })
      t.equal(response.statusCode, 415)
    })

    t.test('anonymous callers get 401', async (t) => {
      const product = await createProduct(app, admin)
      const response = await app.inject({ method: 'POST', url: '/v1/orders', payload: { items: [{ productId: product.id, quantity: 1 }] } })
      t.equal(response.statusCode, 401)
      t.equal(response.headers['www-authenticate'], 'Bearer')
    })

    t.test('an order keeps the price and name it was placed with', async (t) => {
      const product = await createProduct(app, admin, { name: 'Before', priceCents: 500 })
      const order = (await place(app, customer, [{ productId: product.id, quantity: 1 }])).json<OrderBody>()
      await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { name: 'After', priceCents: 900 } })
      const read = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: customer.headers })).json<OrderBody>()
      t.has(read.items[0], { name: 'Before', unitPriceCents: 500, lineTotalCents: 500 })
      t.equal(read.totalCents, 500)
    })

    t.test('archived products vanish from reads but old orders still show their lines', async (t) => {
      const product = await createProduct(app, admin, { name: 'Retired', priceCents: 700 })
      const order = (await place(app, customer, [{ productId: product.id, quantity: 2 }])).json<OrderBody>()
      t.equal((await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })).statusCode, 204)
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).statusCode, 404)
      const read = await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: customer.headers })
      t.equal(read.statusCode, 200)
      t.same(read.json<OrderBody>().items, order.items)
    })
  })

  t.test('listing orders', async (t) => {
    const alice = await createTestUser(app, 'customer')
    const bob = await createTestUser(app, 'customer')
    const product = await createProduct(app, admin, { stock: 100 })
    const line = [{ productId: product.id, quantity: 1 }]
    const aliceOrders: string[] = []
    for (let i = 0; i < 3; i++) aliceOrders.push((await place(app, alice, line)).json<OrderBody>().id)
    const bobOrder = (await place(app, bob, line)).json<OrderBody>().id
    const list = async (user: TestUser, query = '') => {
      const response = await app.inject({ method: 'GET', url: `/v1/orders${query}`, headers: user.headers })
      t.equal(response.statusCode, 200)
      return response.json<OrderList>()
    }

    t.test('a customer sees only their own orders, newest first', async (t) => {
      const body = await list(alice)
      t.same(body.data.map((order) => order.id), [...aliceOrders].reverse())
      t.same(body.pagination, { page: 1, limit: 20, total: 3, pages: 1 })
      t.equal(body.data[0]?.items.length, 1)
    })

    t.test("a customer's userId filter is ignored: still only their own", async (t) => {
      const body = await list(bob, `?userId=${alice.id}`)
      t.same(body.data.map((order) => order.id), [bobOrder])
    })

    t.test('pages of a customer list', async (t) => {
      const second = await list(alice, '?limit=2&page=2')
      t.same(second.data.map((order) => order.id), [aliceOrders[0]])
      t.same(second.pagination, { page: 2, limit: 2, total: 3, pages: 2 })
    })

    t.test('an admin sees everyone, or one user with userId', async (t) => {
      const all = await list(admin, '?limit=100')
      const ids = all.data.map((order) => order.id)
      t.ok(all.pagination.total >= 4)
      for (const id of [...aliceOrders, bobOrder]) t.ok(ids.includes(id), id)
      const bobs = await list(admin, `?userId=${bob.id}`)
      t.same(bobs.data.map((order) => order.id), [bobOrder])
      t.equal(bobs.pagination.total, 1)
    })

    t.test('bad paging or filters are 400, anonymous 401', async (t) => {
      for (const query of ['?limit=0', '?limit=101', '?page=0', '?userId=nope', '?status=placed']) {
        const response = await app.inject({ method: 'GET', url: `/v1/orders${query}`, headers: alice.headers })
        t.equal(response.statusCode, 400, query)
      }
      t.equal((await app.inject({ method: 'GET', url: '/v1/orders' })).statusCode, 401)
    })
  })

  t.test('reading and cancelling one order', async (t) => {
    const alice = await createTestUser(app, 'customer')
    const bob = await createTestUser(app, 'customer')
    const cancel = (user: TestUser | undefined, id: string) =>
      app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, ...(user === undefined ? {} : { headers: user.headers }) })

    t.test('the owner and an admin can read it; anyone else gets 404', async (t) => {
      const product = await createProduct(app, admin)
      const order = (await place(app, alice, [{ productId: product.id, quantity: 1 }])).json<OrderBody>()
      t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: alice.headers })).statusCode, 200)
      t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: admin.headers })).statusCode, 200)
      const foreign = await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: bob.headers })
      t.equal(foreign.statusCode, 404)
      t.match(foreign.headers['content-type'], PROBLEM_JSON)
      t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}`, headers: alice.headers })).statusCode, 404)
      t.equal((await app.inject({ method: 'GET', url: '/v1/orders/123', headers: alice.headers })).statusCode, 400)
      t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).statusCode, 401)
    })

    t.test('user B can neither read, list nor cancel user A\'s order', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const order = (await place(app, alice, [{ productId: product.id, quantity: 2 }])).json<OrderBody>()
      t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: bob.headers })).statusCode, 404)
      const bobsList = (await app.inject({ method: 'GET', url: `/v1/orders?userId=${alice.id}&limit=100`, headers: bob.headers })).json<OrderList>()
      t.notOk(bobsList.data.some((listed) => listed.id === order.id))
      t.equal((await cancel(bob, order.id)).statusCode, 404)
      const still = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: alice.headers })).json<OrderBody>()
      t.equal(still.status, 'placed')
      t.equal(await stockOf(app, product.id), 3)
    })

    t.test('cancelling gives the stock back and answers the cancelled order', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const order = (await place(app, alice, [{ productId: product.id, quantity: 4 }])).json<OrderBody>()
      t.equal(await stockOf(app, product.id), 1)
      const response = await cancel(alice, order.id)
      t.equal(response.statusCode, 200)
      t.has(response.json(), { id: order.id, status: 'cancelled', totalCents: order.totalCents })
      t.same(response.json<OrderBody>().items, order.items)
      t.equal(await stockOf(app, product.id), 5)
    })

    t.test('cancelling twice is 409 and gives nothing back twice', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const order = (await place(app, alice, [{ productId: product.id, quantity: 2 }])).json<OrderBody>()
      t.equal((await cancel(alice, order.id)).statusCode, 200)
      const again = await cancel(alice, order.id)
      t.equal(again.statusCode, 409)
      t.match(again.headers['content-type'], PROBLEM_JSON)
      t.equal(await stockOf(app, product.id), 5)
    })

    t.test("an admin can cancel anyone's order", async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const order = (await place(app, alice, [{ productId: product.id, quantity: 1 }])).json<OrderBody>()
      t.equal((await cancel(admin, order.id)).statusCode, 200)
    })

    t.test('cancelling an order of an archived product still gives the stock back', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const order = (await place(app, alice, [{ productId: product.id, quantity: 2 }])).json<OrderBody>()
      await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })
      t.equal((await cancel(alice, order.id)).statusCode, 200)
      const { rows } = await app.db.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [product.id])
      t.equal(rows[0]?.stock, 5)
    })

    t.test('unknown order 404, malformed id 400, anonymous 401', async (t) => {
      t.equal((await cancel(alice, randomUUID())).statusCode, 404)
      t.equal((await cancel(alice, 'nope')).statusCode, 400)
      t.equal((await cancel(undefined, randomUUID())).statusCode, 401)
    })
  })
}

await runAlone(import.meta.url, ordersTests)
