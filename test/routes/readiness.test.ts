import type { Test } from 'tap'
import { buildTestApp, usingPostgres, usingRedis } from '../helper.js'
import { startTcpProxy } from '../support/tcp-proxy.js'
import { testDatabaseUrl } from '../support/backends.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function readinessTests (t: Test): Promise<void> {
  t.test('readiness turns 503 once shutdown begins; liveness stays 200', async (t) => {
    // Each test here has an app of its own: each ends its app's life (shutdown begun, database closed or cut off).
    const { app } = await buildTestApp(t)
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
    app.lifecycle.beginShutdown()
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 503)
    t.equal(ready.json().status, 'fail')
    t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 503, '/health answers as /health/ready')
    t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
  })

  t.test('readiness is 503 when the database is unreachable, within about a second; liveness stays 200', async (t) => {
    if (usingPostgres) {
      // A proxy we control sits between the app and PostgreSQL, so the outage is real network failure.
      const target = new URL(await testDatabaseUrl(t))
      const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname)
      t.teardown(() => proxy.close())
      const { app } = await buildTestApp(t, { env: { DATABASE_URL: proxy.url('postgres', `${target.pathname}`).replace('postgres://', `postgres://${target.username}@`), DATABASE_CONNECT_TIMEOUT_MS: '500' } })
      t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
      proxy.cut()
      const started = Date.now()
      const ready = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(ready.statusCode, 503)
      t.hasStrict(ready.json(), { status: 'fail', checks: { database: { status: 'down' } } })
      t.ok(Date.now() - started < 2000, 'bounded, no hang')
      t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
      proxy.restore()
      let recovered = 0
      for (let attempt = 0; attempt < 20 && recovered !== 200; attempt++) {
        recovered = (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode
        if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      t.equal(recovered, 200, 'recovers without a restart')
    } else {
      // Embedded PGlite cannot be cut off by network; closing it is the closest real failure.
      const { app } = await buildTestApp(t)
      await app.db.close()
      const ready = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(ready.statusCode, 503)
      t.hasStrict(ready.json(), { status: 'fail', checks: { database: { status: 'down' } } })
      t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
    }
  })

  t.test('a cache outage makes readiness degraded, not 503; cache calls become misses, not errors', { skip: usingRedis ? false : 'needs REDIS_URL (the in-memory cache cannot fail)' }, async (t) => {
    const proxy = await startTcpProxy(Number(new URL(process.env.REDIS_URL ?? '').port || 6379))
    t.teardown(() => proxy.close())
    const { app } = await buildTestApp(t, { env: { REDIS_URL: proxy.url('redis') } })
    await app.cache.fillVersion('probe', { n: 1 }, 1)
    t.same(await app.cache.getVersioned('probe'), { n: 1 })

    proxy.cut()
    const started = Date.now()
    t.equal(await app.cache.getVersioned('probe'), undefined, 'a miss')
    await app.cache.fillVersion('probe', { n: 2 }, 2)
    await app.cache.del('probe')
    t.ok(Date.now() - started < 2000, 'fails fast, no offline queue')
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 200)
    t.hasStrict(ready.json(), { status: 'degraded', checks: { cache: { status: 'down' }, database: { status: 'up' } } })

    proxy.restore()
    let status = ''
    // ioredis retries with a backoff of up to 2 s (src/cache/redis.ts); wait several backoffs, by the clock, so a
    // slow machine cannot turn a reconnect that is merely due into a failure.
    const giveUpAt = Date.now() + 15_000
    while (status !== 'ok' && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      status = (await app.inject({ method: 'GET', url: '/health/ready' })).json().status
    }
    t.equal(status, 'ok', 'the client reconnects by itself')
    // The del issued during the outage was lost: an entry may be stale for at most CACHE_TTL_SECONDS (see ARCHITECTURE.md).
    await app.cache.fillVersion('probe', { n: 3 }, 3)
    t.same(await app.cache.getVersioned('probe'), { n: 3 })
  })
}

await runAlone(import.meta.url, readinessTests)
