import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { usingPostgres, usingRedis } from '../support/backends.js'
import { createTestUser } from '../support/users.js'
import { httpCall, metricOf, serverEnv, startServer, type HttpResult } from '../support/server-process.js'
import { roundRobin, startReplicas } from '../support/replicas.js'
import { remainingOf } from '../support/rate-limit-fields.js'
import { proxyInFront } from '../support/tcp-proxy.js'
import { pause } from '../support/fixtures.js'
import { LOCAL_TIER_TTL_MS } from '../../src/cache/local-tier.js'
import { LOCAL_SHARE } from '../../src/rate-limit-store.js'
import { runAlone } from '../support/test-file.js'

/** Imported when a test runs: on the embedded default every test here skips, and need not load the app. */
async function buildTestApp (...args: Parameters<typeof import('../helper.js').buildTestApp>) {
  return (await import('../helper.js')).buildTestApp(...args)
}

const REPLICAS = 3
const SKIP = usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL: replicas share PostgreSQL and Redis (PGlite and the memory cache are per process)'

const json = <T>(response: HttpResult): T => JSON.parse(response.body) as T

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function scaleOutTests (t: Test): Promise<void> {
  t.test('one rate-limit counter for all replicas: spent after max requests, plus at most each other replica\'s share, whichever replica gets them', { skip: SKIP }, async (t) => {
    const max = 100
    const share = Math.floor(max * LOCAL_SHARE)
    const replicas = await startReplicas(t, { env: { RATE_LIMIT_MAX: String(max) } })
    const answers: HttpResult[] = []
    for (let n = 0; n < 2 * max; n++) answers.push(await httpCall(`${roundRobin(replicas, n).url}/v1/products?limit=1`))

    const admitted = answers.filter((answer) => answer.status === 200).length
    t.ok(admitted >= max && admitted <= max + (REPLICAS - 1) * share,
      `${admitted} of ${2 * max} requests spread over ${REPLICAS} replicas pass: at least ${max}, at most ${max + (REPLICAS - 1) * share}`)
    t.same(answers.filter((answer) => answer.status !== 200).map((answer) => answer.status), answers.filter((answer) => answer.status !== 200).map(() => 429),
      'the others are refused')
    t.same(answers.slice(-REPLICAS).map((answer) => answer.status), replicas.map(() => 429), 'every replica refuses once the shared limit is spent')
    t.ok(answers.filter((answer) => answer.status === 429).every((answer) => answer.headers['retry-after'] !== undefined))
    for (const [index] of replicas.entries()) {
      const remaining = answers.filter((answer, n) => n % REPLICAS === index && answer.status === 200).map((answer) => remainingOf(answer.headers.ratelimit) ?? -1)
      t.ok(remaining.every((value, n) => value >= 0 && (n === 0 || value <= (remaining[n - 1] ?? 0))), `replica ${index + 1} counts down and never up (${remaining.length} passed)`)
    }
    const first = answers.slice(0, REPLICAS).map((answer) => remainingOf(answer.headers.ratelimit))
    t.same(first, replicas.map((_replica, n) => max - n - 1), 'they count one counter: each replica\'s first request is counted in Redis after the others\'')
  })

  t.test('catalog writes through one replica are read through the others; 200 concurrent orders never oversell', { skip: SKIP }, async (t) => {
    // 200 orders queue on one product row lock across three pools: on a loaded 2-core CI machine a queued order
    // waited over the default 2 s for a pool connection and got the (correct) 503. This test is about coherence
    // and overselling, not about that timeout, so the wait may be longer here.
    const replicas = await startReplicas(t, { env: { RATE_LIMIT_MAX: '100000', DATABASE_CONNECT_TIMEOUT_MS: '20000' } })
    // Tokens from an in-process app on the same database: same JWT secret, issuer and audience as the replicas.
    const { app } = await buildTestApp(t)
    const admin = await createTestUser(app, 'admin')
    const customers = await Promise.all(Array.from({ length: 4 }, async () => createTestUser(app, 'customer')))
    const asJson = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' })

    const created = await httpCall(`${roundRobin(replicas, 0).url}/v1/products`, {
      method: 'POST',
      headers: asJson(admin.headers),
      body: JSON.stringify({ sku: `SCALE-${randomBytes(4).toString('hex').toUpperCase()}`, name: 'Shared mug', priceCents: 1200, stock: 50 })
    })
    t.equal(created.status, 201)
    const { id } = json<{ id: string }>(created)
    const readEverywhere = async () => Promise.all(replicas.map(async (replica) => json<{ priceCents: number, stock: number }>(
      await httpCall(`${replica.url}/v1/products/${id}`))))

    t.same((await readEverywhere()).map((product) => product.priceCents), [1200, 1200, 1200], 'every replica reads (and caches) the product')
    const patched = await httpCall(`${roundRobin(replicas, 0).url}/v1/products/${id}`, {
      method: 'PATCH', headers: asJson(admin.headers), body: JSON.stringify({ priceCents: 1500 })
    })
    t.equal(patched.status, 200)
    t.same((await readEverywhere()).map((product) => product.priceCents), [1500, 1500, 1500], 'no replica serves the stale cached price')

    const orders = await Promise.all(Array.from({ length: 200 }, async (_, n) => httpCall(`${roundRobin(replicas, n).url}/v1/orders`, {
      method: 'POST',
      headers: asJson((customers[n % customers.length] ?? admin).headers),
      body: JSON.stringify({ items: [{ productId: id, quantity: 1 }] })
    })))
    const statuses = orders.map((order) => order.status)
    t.same(orders.filter((order) => order.status !== 201 && order.status !== 409).map((order) => `${order.status} ${order.body}`), [],
      'every order was either placed or refused for stock')
    t.equal(statuses.filter((status) => status === 201).length, 50, 'exactly the 50 units in stock were sold')
    t.equal(statuses.filter((status) => status === 409).length, 150, 'every other order was refused as insufficient stock')
    t.same((await readEverywhere()).map((product) => product.stock), [0, 0, 0], 'every replica reads the stock the orders left')
  })

  t.test('a replica that hears no invalidation (its Redis silent) serves a copy older than a write for at most the bound', { skip: SKIP }, async (t) => {
    const env = { RATE_LIMIT_MAX: '100000' }
    const [writer] = await startReplicas(t, { count: 1, env })
    // The same back ends as the writer (one database and Redis prefix per test process), Redis through a proxy.
    const base = { ...await serverEnv(t, { env }), MIGRATE_ON_START: 'false' }
    const { proxy, url: viaProxy } = await proxyInFront(t, process.env.REDIS_URL ?? '', 6379)
    const reader = await startServer(t, { baseEnv: { ...base, REDIS_URL: viaProxy } })
    const { app } = await buildTestApp(t)
    const admin = await createTestUser(app, 'admin')
    const asJson = { ...admin.headers, 'content-type': 'application/json' }
    const created = await httpCall(`${writer?.url ?? ''}/v1/products`, {
      method: 'POST', headers: asJson, body: JSON.stringify({ sku: `BOUND-${randomBytes(4).toString('hex').toUpperCase()}`, name: 'Bound mug', priceCents: 1200, stock: 5 })
    })
    t.equal(created.status, 201)
    const { id } = json<{ id: string }>(created)
    const priceOnReader = async () => json<{ priceCents: number }>(await httpCall(`${reader.url}/v1/products/${id}`, { timeoutMs: 5000 })).priceCents

    const started = Date.now()
    while (await metricOf(reader, 'cache_local_tier_active{backend="redis"}') !== 1 && Date.now() - started < 10_000) await pause(50)
    t.equal(await priceOnReader(), 1200, 'the reader keeps the product in process memory')
    t.equal(await priceOnReader(), 1200)

    // Silence, not a refusal: the reader learns of it only from its own timeouts, and meanwhile hears no message.
    proxy.inject({ kind: 'black-hole' })
    const patched = await httpCall(`${writer?.url ?? ''}/v1/products/${id}`, { method: 'PATCH', headers: asJson, body: JSON.stringify({ priceCents: 1500 }) })
    t.equal(patched.status, 200)
    const acknowledged = Date.now()
    const reads: Array<{ sentMs: number, priceCents: number }> = []
    while (reads.at(-1)?.priceCents !== 1500 && Date.now() - acknowledged < 15_000) {
      const sentMs = Date.now() - acknowledged
      reads.push({ sentMs, priceCents: await priceOnReader() })
    }
    t.comment(`reads after the write (ms after it was acknowledged → price): ${reads.map((read) => `${read.sentMs}→${read.priceCents}`).join(', ')}`)
    t.equal(reads.at(-1)?.priceCents, 1500, 'the reader sees the write')
    t.same(reads.filter((read) => read.sentMs > LOCAL_TIER_TTL_MS && read.priceCents !== 1500), [],
      `no read sent more than ${LOCAL_TIER_TTL_MS} ms after the write was acknowledged answered the old price`)
    const silenceStarted = Date.now()
    let active = await metricOf(reader, 'cache_local_tier_active{backend="redis"}')
    while (active !== 0 && Date.now() - silenceStarted < 10_000) {
      await pause(100)
      active = await metricOf(reader, 'cache_local_tier_active{backend="redis"}')
    }
    t.equal(active, 0, 'the silent subscriber is dropped (its own watchdog) and process memory taken out of service')
  })
}

await runAlone(import.meta.url, scaleOutTests)
