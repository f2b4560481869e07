/**
 * The service behind a stock PgBouncer in transaction mode (test/support/pgbouncer.ts): it boots, its timeouts
 * still bite, no session state reaches the shared server connections, and the order invariants hold.
 * .ci/run also runs the PostgreSQL-backed suite through one; these tests need only the binary.
 */
import type { Test } from 'tap'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, usingPostgres } from '../helper.js'
import { testDatabaseUrl } from '../support/backends.js'
import { NEEDS_PGBOUNCER, startPgbouncer, type PgbouncerOptions } from '../support/pgbouncer.js'
import { createTestUser, type TestUser } from '../support/users.js'
import { createProduct } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

const SKIP = usingPostgres ? NEEDS_PGBOUNCER : 'needs DATABASE_URL: PgBouncer pools connections to a real PostgreSQL'

/** The database of this test file, reached through a private PgBouncer. */
async function pooledUrl (t: Test, options: PgbouncerOptions = {}): Promise<string> {
  const pgbouncer = await startPgbouncer(t, process.env.DATABASE_URL ?? '', options)
  return pgbouncer.through(await testDatabaseUrl(t))
}

async function behindPgbouncer (t: Test, env: Record<string, string> = {}, options: PgbouncerOptions = {}) {
  return buildTestApp(t, { env: { DATABASE_URL: await pooledUrl(t, options), DATABASE_POOLER: 'transaction', ...env } })
}

async function show (url: string, settings: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const values: string[] = []
    for (const setting of settings) {
      const { rows } = await client.query<Record<string, string>>(`SHOW ${setting}`)
      values.push(rows[0]?.[setting] ?? '')
    }
    return values
  } finally {
    await client.end()
  }
}

const sleep = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function pgbouncerTests (t: Test): Promise<void> {
  t.test('a stock PgBouncer refuses the direct-connection settings: DATABASE_POOLER=none cannot boot', { skip: SKIP }, async (t) => {
    const url = await pooledUrl(t)
    await t.rejects(buildTestApp(t, { env: { DATABASE_URL: url, DATABASE_POOLER: 'none' } }),
      /unsupported startup parameter: statement_timeout/, 'the timeouts sent as startup parameters are what it refuses')
  })

  t.test('behind PgBouncer the timeouts still bite, and none of them stays on the shared server connection', { skip: SKIP }, async (t) => {
    // One server connection: every statement of the app and the probe below run on the same server session.
    const url = await pooledUrl(t, { defaultPoolSize: 1 })
    const settings = ['statement_timeout', 'idle_in_transaction_session_timeout']
    const before = await show(url, settings)
    // 300 ms statements, 600 ms idle in a transaction; the client-side read timeout (1.3 s) must not be what fires.
    const { app } = await buildTestApp(t, { env: { DATABASE_URL: url, DATABASE_POOLER: 'transaction', DATABASE_STATEMENT_TIMEOUT_MS: '300' } })

    await t.rejects(app.db.query('SELECT pg_sleep(3)'), { code: '57014' }, 'a lone statement is cancelled by the server (query_canceled)')
    await t.rejects(app.db.transaction(async (tx) => tx.query('SELECT pg_sleep(3)')), { code: '57014' },
      'a statement in a transaction is cancelled by the server')
    await t.rejects(app.db.transaction(async (tx) => {
      await tx.query('SELECT 1')
      await sleep(2000)
      return tx.query('SELECT 1')
    }), 'a transaction left idle longer than idle_in_transaction_session_timeout is ended by the server')
    t.same((await app.db.query<{ ok: number }>('SELECT 1 AS ok')).rows, [{ ok: 1 }], 'the service carries on afterwards')

    t.same(await show(url, settings), before, 'the server connection the app used keeps its own settings (SET LOCAL ended with each transaction)')
  })

  interface Answer { status: number, body: string, replayed: string | null }

  async function postOrder (base: string, user: TestUser, productId: string, quantity: number, key?: string): Promise<Answer> {
    const response = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify({ items: [{ productId, quantity }] })
    })
    return { status: response.status, body: await response.text(), replayed: response.headers.get('idempotent-replayed') }
  }

  function countBy (statuses: number[]): Record<number, number> {
    const counts: Record<number, number> = {}
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
    return counts
  }

  async function stockInDb (app: FastifyInstance, id: string): Promise<number | undefined> {
    return (await app.db.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [id])).rows[0]?.stock
  }

  t.test('orders, idempotent replays and cancellations through PgBouncer: 20 app connections on 5 server connections', { skip: SKIP }, async (t) => {
    // Contention tests (test/concurrency/orders.test.ts) give the pool wait room on this shared machine.
    const { app } = await behindPgbouncer(t, { DATABASE_CONNECT_TIMEOUT_MS: '30000', DATABASE_POOL_MAX: '20' }, { defaultPoolSize: 5 })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const admin = await createTestUser(app, 'admin')
    const buyers = await Promise.all(Array.from({ length: 10 }, async () => createTestUser(app, 'customer')))
    const buyer = (n: number) => buyers[n % buyers.length] as TestUser

    await t.test('200 concurrent orders for 50 units sell exactly 50', async (t) => {
      const product = await createProduct(app, admin, { stock: 50 })
      const answers = await Promise.all(Array.from({ length: 200 }, async (_, n) => postOrder(base, buyer(n), product.id, 1)))
      t.same(countBy(answers.map((answer) => answer.status)), { 201: 50, 409: 150 })
      t.equal(await stockInDb(app, product.id), 0)
    })

    await t.test('20 concurrent requests with one Idempotency-Key place one order', async (t) => {
      const product = await createProduct(app, admin, { stock: 100 })
      const answers = await Promise.all(Array.from({ length: 20 }, async () => postOrder(base, buyer(0), product.id, 2, 'pooled-key')))
      t.same(countBy(answers.map((answer) => answer.status)), { 201: 20 })
      t.equal(answers.filter((answer) => answer.replayed === 'true').length, 19, 'one placed, nineteen replayed')
      t.equal(new Set(answers.map((answer) => answer.body)).size, 1, 'every answer is the same body')
      t.equal(await stockInDb(app, product.id), 98)
    })

    await t.test('concurrent cancellations of one order give the stock back once', async (t) => {
      const product = await createProduct(app, admin, { stock: 10 })
      const order = JSON.parse((await postOrder(base, buyer(1), product.id, 4)).body) as { id: string }
      const statuses = await Promise.all(Array.from({ length: 10 }, async () =>
        (await fetch(`${base}/v1/orders/${order.id}/cancel`, { method: 'POST', headers: buyer(1).headers })).status))
      t.same(countBy(statuses), { 200: 1, 409: 9 })
      t.equal(await stockInDb(app, product.id), 10)
    })
  })
}

await runAlone(import.meta.url, pgbouncerTests)
