/**
 * Process memory in front of Redis, across two apps of one Redis prefix and one database: two replicas in one
 * process. A write through one is heard by the other as a message; a hit makes no round trip; a subscriber that
 * drops takes process memory out of service and empties it.
 */
import { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, usingRedis } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { createProduct, pause, type ProductBody } from '../support/fixtures.js'
import { redisKeyPrefix } from '../support/backends.js'
import { localTier } from '../../src/cache/local-tier.js'
import { invalidationChannel, listenForInvalidations } from '../../src/cache/invalidation-bus.js'
import { runAlone } from '../support/test-file.js'

const SKIP = usingRedis ? false : 'needs REDIS_URL: without it there is one tier and no other replica to hear from'
/** How long a test waits for something asynchronous (a subscription, a message) before failing. */
const WAIT_LIMIT_MS = 5000

async function until (t: Test, what: string, condition: () => boolean): Promise<void> {
  const started = Date.now()
  while (!condition() && Date.now() - started < WAIT_LIMIT_MS) await pause(10)
  t.ok(condition(), what)
}

const read = async (app: FastifyInstance, id: string) => (await app.inject({ method: 'GET', url: `/v1/products/${id}` })).json<ProductBody>()

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function tieredTests (t: Test): Promise<void> {
  t.test('a write through one replica reaches the memory of the other by a message; a hit makes no round trip', { skip: SKIP }, async (t) => {
    const { app: a } = await buildTestApp(t)
    const { app: b } = await buildTestApp(t)
    const admin = await createTestUser(a, 'admin')
    await until(t, 'both replicas serve from process memory once subscribed', () => a.cache.localTierActive() && b.cache.localTierActive())
    const product = await createProduct(a, admin, { priceCents: 1000 })

    t.equal((await read(b, product.id)).priceCents, 1000, 'B reads (and keeps) the product')
    const before = { ...b.cache.stats }
    t.equal((await read(b, product.id)).priceCents, 1000)
    t.equal(b.cache.stats.localHits - before.localHits, 1, 'the second read is a memory hit')
    t.equal((b.cache.stats.hits - b.cache.stats.localHits) + b.cache.stats.misses, (before.hits - before.localHits) + before.misses,
      'and asked Redis nothing')

    const heard = b.cache.stats.invalidationsReceived
    const patched = await a.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { priceCents: 1500 } })
    t.equal(patched.statusCode, 200)
    await until(t, 'B hears the invalidation of A\'s write', () => b.cache.stats.invalidationsReceived > heard)
    t.equal((await read(b, product.id)).priceCents, 1500, 'B reads the write, not its old copy')
  })

  t.test('a subscriber that drops takes process memory out of service and empties it until subscribed again', { skip: SKIP }, async (t) => {
    const subscriber = new Redis(process.env.REDIS_URL ?? '', { autoResubscribe: false, lazyConnect: true })
    t.teardown(() => { subscriber.disconnect() })
    const tier = localTier({ max: 10, ttlMs: 60_000, active: () => bus.live })
    const bus = listenForInvalidations(subscriber, invalidationChannel(redisKeyPrefix(t)), { invalidate: tier.invalidate, reset: tier.clear }, pino({ level: 'silent' }))
    await subscriber.connect()
    await until(t, 'live once subscribed', () => bus.live)
    let fetches = 0
    const fetch = async () => { fetches++; return { value: `copy ${fetches}`, version: 1 } }
    t.equal(await tier.read('k', fetch), 'copy 1')
    t.equal(await tier.read('k', fetch), 'copy 1', 'kept while live')

    subscriber.disconnect()
    await until(t, 'not live once the connection closed', () => !bus.live)
    t.equal(await tier.read('k', fetch), 'copy 2', 'bypassed while messages cannot arrive')
    t.equal(await tier.read('k', fetch), 'copy 3', 'and nothing is kept meanwhile')

    await subscriber.connect()
    await until(t, 'live again once resubscribed', () => bus.live)
    t.equal(await tier.read('k', fetch), 'copy 4', 'what was kept before the drop is gone')
  })
}

await runAlone(import.meta.url, tieredTests)
