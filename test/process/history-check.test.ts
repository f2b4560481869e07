/**
 * A history check in the spirit of Jepsen: three replicas on one PostgreSQL and one Redis, a bounded random
 * workload (test/support/history/workload.ts), gray faults of both dependencies and a SIGKILL of one replica
 * mid-run; every request and answer is recorded and then checked against what the database holds
 * (test/support/history/check.ts): stock conservation per product, stock never negative, at most one order per
 * (user, idempotency key), every 201 order exists, no order exists that was refused, at most one successor per
 * refresh token. This is the CI-sized run; `npm run check:history` runs a longer one
 * (HISTORY_OPERATIONS, HISTORY_CONCURRENCY, HISTORY_SEED).
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { usingPostgres, usingRedis } from '../support/backends.js'
import { createTestUser } from '../support/users.js'
import { proxyInFront, type Fault, type TcpProxy } from '../support/tcp-proxy.js'
import { serverEnv, type ServerProcess } from '../support/server-process.js'
import { startReplicas } from '../support/replicas.js'
import { checkHistory, type Line } from '../support/history/check.js'
import { runWorkload, seededRandom, CLIENT_TIMEOUT_MS, type Refresher } from '../support/history/workload.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Imported when a test runs: on the embedded default every test here skips, and need not load the app. */
async function buildTestApp (...args: Parameters<typeof import('../helper.js').buildTestApp>) {
  return (await import('../helper.js')).buildTestApp(...args)
}

const OPERATIONS = Number(process.env.HISTORY_OPERATIONS ?? 300)
const CONCURRENCY = Number(process.env.HISTORY_CONCURRENCY ?? 8)
const SEED = Number(process.env.HISTORY_SEED ?? Math.floor(Math.random() * 2 ** 31))
const PRODUCTS = 4
const INITIAL_STOCK = 60
const SKIP = usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL: PostgreSQL and Redis shared by three replicas'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function historyCheckTests (t: Test): Promise<void> {
  t.test(`history of ${OPERATIONS} operations on three replicas with faults and a SIGKILL: no violation (seed ${SEED})`, { skip: SKIP, timeout: 240_000 + OPERATIONS * 100 }, async (t) => {
    const setupStarted = Date.now()
    const env = await serverEnv(t)
    const database = await proxyInFront(t, env.DATABASE_URL ?? '', 5432)
    const redis = await proxyInFront(t, env.REDIS_URL ?? '', 6379)
    const settings = {
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '1000000',
      ORDER_RATE_LIMIT_MAX: '1000000',
      CUSTOMER_MAX_OPEN_UNITS: '1000000',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_BREAKER_COOLDOWN_MS: '1000'
    }
    const replicas = await startReplicas(t, { env: settings, replicaEnv: { DATABASE_URL: database.url, REDIS_URL: redis.url } })
    t.comment(`three replicas up after ${Date.now() - setupStarted} ms`)
    let live: ServerProcess[] = [...replicas]

    const { app } = await buildTestApp(t)
    const admin = await createTestUser(app, 'admin')
    const customers = await Promise.all(Array.from({ length: 6 }, async () => createTestUser(app, 'customer')))
    const refreshers: Refresher[] = []
    for (let i = 0; i < 2; i++) {
      const email = `history-${randomBytes(6).toString('hex')}@example.test`
      const password = 'history check password'
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'History' } })).statusCode, 201)
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
      refreshers.push({ email, password, refreshToken: login.json<{ refreshToken: string }>().refreshToken })
    }
    const products: string[] = []
    for (let i = 0; i < PRODUCTS; i++) {
      const created = await app.inject({
        method: 'POST',
        url: '/v1/products',
        headers: admin.headers,
        payload: { sku: `HIST-${randomBytes(4).toString('hex').toUpperCase()}`, name: `History item ${i}`, priceCents: 100 + i, stock: INITIAL_STOCK }
      })
      products.push(created.json<{ id: string }>().id)
    }

    // Faults follow the run's progress: each starts once that share of the operations is done.
    const faults: string[] = []
    const timed = (proxy: TcpProxy, name: string, fault: Fault, ms: number) => async () => {
      faults.push(`${name} ${fault.kind} ${ms} ms`)
      proxy.inject(fault)
      await pause(ms)
      proxy.restore()
    }
    const schedule: Array<[number, () => Promise<void>]> = [
      [0.15, timed(database.proxy, 'postgres', { kind: 'latency', ms: 20, jitterMs: 60 }, 1500)],
      [0.3, async () => {
        for (let i = 0; i < 2; i++) { await timed(database.proxy, 'postgres', { kind: 'reset-mid-response' }, 300)() }
      }],
      [0.45, async () => {
        const victim = live[1]
        if (victim === undefined) return
        faults.push(`SIGKILL replica ${victim.pid}`)
        await victim.stop('SIGKILL')
        live = live.filter((server) => server !== victim)
      }],
      [0.55, timed(redis.proxy, 'redis', { kind: 'latency', ms: 100, jitterMs: 400 }, 2000)],
      [0.65, timed(redis.proxy, 'redis', { kind: 'black-hole' }, 2000)],
      [0.8, timed(database.proxy, 'postgres', { kind: 'black-hole' }, 1500)]
    ]
    const running: Array<Promise<void>> = []
    const started = Date.now()
    t.comment(`setup done after ${Date.now() - setupStarted} ms; the workload begins`)
    const { history, slowestMs, clientTimeouts } = await runWorkload({
      operations: OPERATIONS,
      concurrency: CONCURRENCY,
      random: seededRandom(SEED),
      live: () => live,
      customers: customers.map((customer) => ({ id: customer.id, headers: customer.headers })),
      admin: { id: admin.id, headers: admin.headers },
      refreshers,
      products,
      progress: (done) => {
        if (done % Math.ceil(OPERATIONS / 10) === 0) t.comment(`${done} operations after ${Date.now() - started} ms`)
        while (schedule.length > 0 && done >= OPERATIONS * (schedule[0]?.[0] ?? 1)) running.push((schedule.shift()?.[1] ?? (async () => {}))())
      }
    })
    await Promise.all(running)
    database.proxy.restore()
    redis.proxy.restore()
    const runMs = Date.now() - started
    // A request the client gave up on may still be finishing on a replica (bounded by the database timeouts).
    await pause(3000)

    const userIds = customers.map((customer) => customer.id)
    const { rows: stockRows } = await app.db.query<{ id: string, stock: number }>('SELECT id, stock FROM products WHERE id = ANY($1::uuid[])', [products])
    const { rows: orderRows } = await app.db.query<{ id: string, user_id: string, status: string, items: Line[] }>(
      `SELECT o.id, o.user_id, o.status, json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity)) AS items
         FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.user_id = ANY($1::uuid[]) GROUP BY o.id`, [userIds])
    const { rows: keyRows } = await app.db.query<{ user_id: string, key: string, order_id: string | null }>(
      "SELECT user_id, key, response_body->>'id' AS order_id FROM idempotency_keys WHERE user_id = ANY($1::uuid[])", [userIds])

    const result = checkHistory(history, new Map(products.map((id) => [id, INITIAL_STOCK])), {
      stock: new Map(stockRows.map((row) => [row.id, row.stock])),
      orders: orderRows.map((row) => ({ id: row.id, userId: row.user_id, status: row.status, items: row.items })),
      keys: keyRows.map((row) => ({ userId: row.user_id, key: row.key, orderId: row.order_id }))
    })
    const statuses: Record<string, number> = {}
    for (const event of history) {
      const label = 'error' in event.outcome ? `no answer (${event.outcome.error})` : String(event.outcome.status)
      statuses[label] = (statuses[label] ?? 0) + 1
    }
    t.comment(`seed ${SEED}, ${CONCURRENCY} clients, ${runMs} ms; faults injected (${faults.length}): ${faults.join('; ')}`)
    t.comment(`figures: ${JSON.stringify({ ...result.figures, slowestAnswerMs: slowestMs, clientTimeouts, faultsInjected: faults.length })}`)
    t.comment(`answers: ${JSON.stringify(statuses)}`)
    t.equal(schedule.length, 0, 'every scheduled fault was injected')
    t.ok(faults.some((fault) => fault.startsWith('SIGKILL')), 'a replica was killed mid-run')
    for (const replica of live) {
      const state = await Promise.race([replica.exited, pause(0).then(() => 'running' as const)])
      if (state !== 'running') t.comment(`replica ${replica.pid} exited: ${JSON.stringify(state)}\n${replica.stderr().slice(-3000)}\n${replica.stdout().split('\n').filter((line) => /"level":(50|60)/.test(line)).slice(-5).join('\n')}`)
      t.equal(state, 'running', `replica ${replica.pid} survived every fault`)
    }
    t.same(result.violations, [], `violations: ${result.violations.length}`)
    t.equal(clientTimeouts, 0, `no request hung past the client's ${CLIENT_TIMEOUT_MS} ms (slowest answer ${slowestMs} ms)`)
    t.ok(result.figures.ordersAcknowledged > 0 && result.figures.cancellations > 0 && result.figures.restocks > 0, 'the workload did place, cancel and restock')
  })
}

await runAlone(import.meta.url, historyCheckTests)
