/**
 * The open-units cap under real concurrency: parallel HTTP requests of one customer interleave on PostgreSQL's
 * pool, so without the lock on the customer each would count the same open units and all would pass.
 */
import type { Test } from 'tap'
import { buildTestApp, usingPostgres } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { createProduct } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

const SKIP = usingPostgres
  ? false
  : 'PGlite runs one transaction at a time, so parallel orders cannot race there and this would prove nothing'

const MAX_OPEN_UNITS = 100
const ORDERS = 10
const UNITS_PER_ORDER = 30

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function concurrentOrderCapsTests (t: Test): Promise<void> {
  t.test(`${ORDERS} parallel orders of one customer never hold more than the open-units cap`, { skip: SKIP }, async (t) => {
    const { app } = await buildTestApp(t, {
      // Every order of the burst queues on the customer's lock; give the pool wait room (as test/concurrency/orders.test.ts).
      env: { CUSTOMER_MAX_OPEN_UNITS: String(MAX_OPEN_UNITS), DATABASE_CONNECT_TIMEOUT_MS: '30000' }
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const admin = await createTestUser(app, 'admin')
    const buyer = await createTestUser(app, 'customer')
    // One product per order: no product row lock serialises them, only the customer lock can.
    const products = await Promise.all(Array.from({ length: ORDERS }, async () => createProduct(app, admin, { stock: 1000 })))

    const answers = await Promise.all(products.map(async (product) => {
      const response = await fetch(`${base}/v1/orders`, {
        method: 'POST',
        headers: { ...buyer.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ productId: product.id, quantity: UNITS_PER_ORDER }] })
      })
      return { status: response.status, body: await response.json() as { type?: string } }
    }))

    const accepted = Math.floor(MAX_OPEN_UNITS / UNITS_PER_ORDER)
    t.equal(answers.filter((answer) => answer.status === 201).length, accepted, `exactly ${accepted} orders fit under the cap`)
    const refused = answers.filter((answer) => answer.status !== 201)
    t.same(refused.map((answer) => [answer.status, answer.body.type]),
      refused.map(() => [409, 'https://fastify-shop-api.example/problems/open-units-exceeded']), 'every other one is open-units-exceeded')
    const { rows } = await app.db.query<{ units: number }>(
      `SELECT coalesce(sum(i.quantity), 0)::int AS units FROM orders o JOIN order_items i ON i.order_id = o.id
       WHERE o.user_id = $1 AND o.status = 'placed'`,
      [buyer.id]
    )
    t.equal(rows[0]?.units, accepted * UNITS_PER_ORDER, 'the database holds no more than the cap')
    const counter = await app.db.query<{ open_units: number }>('SELECT open_units FROM users WHERE id = $1', [buyer.id])
    t.equal(counter.rows[0]?.open_units, accepted * UNITS_PER_ORDER, "the account's open-units counter agrees")
  })
}

await runAlone(import.meta.url, concurrentOrderCapsTests)
