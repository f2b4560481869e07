/**
 * More replicas than the database has connections for: six built servers with a pool of 10 each (60 client
 * connections) through one stock PgBouncer in transaction mode with 10 server connections, under a bounded
 * mixed workload. Same process support as scale-out.test.ts; run `npm run build` first.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pLimit from 'p-limit'
import pg from 'pg'
import type { Test } from 'tap'
import { usingPostgres } from '../support/backends.js'
import { testDatabaseUrl } from '../support/backends.js'
import { NEEDS_PGBOUNCER, startPgbouncer } from '../support/pgbouncer.js'
import { createTestUser, type TestUser } from '../support/users.js'
import { createProduct } from '../support/fixtures.js'
import { httpCall, serverEnv, startServer, type HttpResult, type ServerProcess } from '../support/server-process.js'
import { runAlone } from '../support/test-file.js'

/** Imported when a test runs: on the embedded default every test here skips, and need not load the app. */
async function buildTestApp (...args: Parameters<typeof import('../helper.js').buildTestApp>) {
  return (await import('../helper.js')).buildTestApp(...args)
}

const REPLICAS = 6
const POOL_PER_REPLICA = 10
const SERVER_CONNECTIONS = 10
const MIGRATE_SCRIPT = fileURLToPath(new URL('../../dist/scripts/migrate.js', import.meta.url))
const SKIP = usingPostgres ? NEEDS_PGBOUNCER : 'needs DATABASE_URL: PgBouncer pools connections to a real PostgreSQL'
/** docs/api.md: what an order or a read may answer besides success under load (stock, rate limit, shedding). */
const DOCUMENTED = new Set([409, 429, 503])

async function startReplicas (t: Test, databaseUrl: string): Promise<ServerProcess[]> {
  const baseEnv = {
    ...await serverEnv(t, {
      env: {
        DATABASE_URL: databaseUrl,
        DATABASE_POOLER: 'transaction',
        DATABASE_POOL_MAX: String(POOL_PER_REPLICA),
        RATE_LIMIT_MAX: '1000000',
        ORDER_RATE_LIMIT_MAX: '1000000',
        LOG_LEVEL: 'warn'
      }
    }),
    MIGRATE_ON_START: 'false'
  }
  // The migration job runs through the pooler too.
  await promisify(execFile)(process.execPath, [MIGRATE_SCRIPT], { env: { PATH: process.env.PATH ?? '', ...baseEnv } })
  const replicas: ServerProcess[] = []
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startServer(t, { baseEnv }))
  return replicas
}

/** Highest number of server sessions on the test database, sampled every 50 ms until stopped. */
function sampleServerSessions (directUrl: string): { stop: () => Promise<number> } {
  const client = new pg.Client({ connectionString: directUrl })
  let highest = 0
  const state = { running: true }
  const loop = (async () => {
    await client.connect()
    while (state.running) {
      const { rows } = await client.query<{ sessions: number }>(
        'SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
      highest = Math.max(highest, rows[0]?.sessions ?? 0)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await client.end()
  })()
  return { stop: async () => { state.running = false; await loop; return highest } }
}

interface Timed extends HttpResult { kind: 'read' | 'order' | 'retry', ms: number, key?: string }

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function poolerScaleOutTests (t: Test): Promise<void> {
  t.test(`${REPLICAS} replicas × pool ${POOL_PER_REPLICA} through one PgBouncer with ${SERVER_CONNECTIONS} server connections`, { skip: SKIP }, async (t) => {
    const directUrl = await testDatabaseUrl(t)
    const pgbouncer = await startPgbouncer(t, process.env.DATABASE_URL ?? '', { defaultPoolSize: SERVER_CONNECTIONS })
    const pooledUrl = pgbouncer.through(directUrl)
    const replicas = await startReplicas(t, pooledUrl)
    // Users, tokens and products from an in-process app through the same PgBouncer (same JWT secret as the replicas).
    const { app } = await buildTestApp(t, { env: { DATABASE_URL: pooledUrl, DATABASE_POOLER: 'transaction', DATABASE_POOL_MAX: '2' } })
    const admin = await createTestUser(app, 'admin')
    const customers = await Promise.all(Array.from({ length: 12 }, async () => createTestUser(app, 'customer')))
    const hot = await createProduct(app, admin, { stock: 150 })
    const retried = await createProduct(app, admin, { stock: 100 })
    const cold = await Promise.all(Array.from({ length: 4 }, async () => createProduct(app, admin, { stock: 5 })))

    const replica = (n: number) => (replicas[n % REPLICAS] as ServerProcess).url
    const customer = (n: number) => customers[n % customers.length] as TestUser
    const order = (n: number, productId: string, key?: string) => ({
      method: 'POST',
      headers: { ...customer(n).headers, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify({ items: [{ productId, quantity: 1 }] })
    })
    const reads = [hot.id, retried.id, ...cold.map((product) => product.id)]
    const work: Array<() => Promise<Timed>> = []
    const timed = async (kind: Timed['kind'], url: string, options: Parameters<typeof httpCall>[1], key?: string): Promise<Timed> => {
      const started = performance.now()
      const answer = await httpCall(url, { ...options, timeoutMs: 60_000 })
      return { ...answer, kind, ms: performance.now() - started, ...(key === undefined ? {} : { key }) }
    }
    // 360 reads, 300 orders on the hot product (twice its stock), 20 keys each sent to three different replicas.
    for (let n = 0; n < 360; n++) {
      const path = n % 3 === 0 ? '/v1/products?limit=20' : `/v1/products/${reads[n % reads.length] ?? hot.id}`
      work.push(async () => timed('read', `${replica(n)}${path}`, {}))
    }
    for (let n = 0; n < 300; n++) work.push(async () => timed('order', `${replica(n)}/v1/orders`, order(n, hot.id)))
    const retryRun = randomBytes(4).toString('hex')
    for (let k = 0; k < 20; k++) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const key = `retry-${retryRun}-${k}`
        work.push(async () => timed('retry', `${replica(k + attempt)}/v1/orders`, order(k, retried.id, key), key))
      }
    }
    // Interleaved deterministically, so reads, hot orders and retries of one key overlap.
    const shuffled = work.map((job, n) => ({ job, rank: (n * 7919) % work.length })).sort((a, b) => a.rank - b.rank).map(({ job }) => job)

    const sessions = sampleServerSessions(directUrl)
    const limit = pLimit(48)
    const started = performance.now()
    const answers = await Promise.all(shuffled.map(async (job) => limit(job)))
    const seconds = (performance.now() - started) / 1000
    const highestSessions = await sessions.stop()

    const unexpected = answers.filter((answer) => answer.status >= 300 && !DOCUMENTED.has(answer.status))
      .map((answer) => `${answer.kind} ${answer.status} ${answer.body.slice(0, 200)}`)
    t.same(unexpected, [], 'every answer is a success or a documented 409/429/503')
    const count = (kind: Timed['kind'], status: number) => answers.filter((answer) => answer.kind === kind && answer.status === status).length
    t.ok(count('read', 200) > 0 && count('order', 201) > 0 && count('retry', 201) > 0, 'the workload got through')

    const stockOf = async (id: string) => (await app.db.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [id])).rows[0]?.stock
    const sold = async (id: string) => (await app.db.query<{ orders: number, units: number }>(
      'SELECT count(DISTINCT order_id)::int AS orders, coalesce(sum(quantity), 0)::int AS units FROM order_items WHERE product_id = $1', [id])).rows[0]
    const hotPlaced = count('order', 201)
    t.same(await sold(hot.id), { orders: hotPlaced, units: hotPlaced }, 'one order row per 201 on the hot product')
    t.equal(await stockOf(hot.id), 150 - hotPlaced, 'exact stock: 150 minus the orders placed, never below 0')
    if (count('order', 503) === 0) t.equal(hotPlaced, 150, 'with no order shed, exactly the 150 units in stock were sold')

    const byKey = new Map<string, Set<string>>()
    for (const answer of answers.filter((a) => a.kind === 'retry' && a.status === 201)) {
      const ids = byKey.get(answer.key ?? '') ?? new Set<string>()
      ids.add((JSON.parse(answer.body) as { id: string }).id)
      byKey.set(answer.key ?? '', ids)
    }
    t.ok([...byKey.values()].every((ids) => ids.size === 1), 'every retry of one key, on whichever replica, answers the same order')
    t.same(await sold(retried.id), { orders: byKey.size, units: byKey.size }, 'one order per key, however many replicas it was sent to')
    t.equal(await stockOf(retried.id), 100 - byKey.size, 'exact stock on the retried product')
    t.ok(highestSessions <= SERVER_CONNECTIONS, `at most ${SERVER_CONNECTIONS} server sessions on the database (saw ${highestSessions}) for ${REPLICAS * POOL_PER_REPLICA + 2} client connections`)

    const latencies = answers.map((answer) => answer.ms).sort((a, b) => a - b)
    const p = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
    const statuses: Record<string, number> = {}
    for (const answer of answers) statuses[`${answer.kind} ${answer.status}`] = (statuses[`${answer.kind} ${answer.status}`] ?? 0) + 1
    t.comment(`pooler scale test: ${answers.length} requests in ${seconds.toFixed(1)} s, 48 in flight; p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; ${JSON.stringify(statuses)}; peak server sessions ${highestSessions}`)
  })
}

await runAlone(import.meta.url, poolerScaleOutTests)
