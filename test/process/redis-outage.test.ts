import type { Test } from 'tap'
import { usingRedis } from '../support/backends.js'
import { proxyInFront } from '../support/tcp-proxy.js'
import { httpCall, serverEnv, startServer, type HttpResult } from '../support/server-process.js'
import { remainingOf } from '../support/rate-limit-fields.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

const RATE_LIMIT_MAX = 3
const FAIL_FAST_MS = 3000
const RECOVERY_ATTEMPTS = 100

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function redisOutageTests (t: Test): Promise<void> {
  t.test('redis outage: requests still served, readiness degraded, rate limit skipped, recovery by itself', { skip: usingRedis ? false : 'needs REDIS_URL (the in-memory cache cannot go down)' }, async (t) => {
    const env = await serverEnv(t, { env: { RATE_LIMIT_MAX: String(RATE_LIMIT_MAX) } })
    const { proxy, url: viaProxy } = await proxyInFront(t, env.REDIS_URL ?? '', 6379)
    const server = await startServer(t, { baseEnv: { ...env, REDIS_URL: viaProxy } })
    // The product list is a cached read: during the outage it must come from the database instead.
    const list = async (): Promise<HttpResult> => httpCall(`${server.url}/v1/products`, { timeoutMs: FAIL_FAST_MS })

    const first = await list()
    t.equal(first.status, 200)
    t.equal(remainingOf(first.headers.ratelimit), RATE_LIMIT_MAX - 1, 'the limit counts in Redis before the outage')

    proxy.cut()
    const during: number[] = []
    for (let i = 0; i < RATE_LIMIT_MAX * 3; i++) during.push((await list()).status)
    t.same(during, during.map(() => 200), 'every request is served (cache bypassed): no 429 (limit skipped), no 500, no hang')
    const ready = await httpCall(`${server.url}/health/ready`, { timeoutMs: FAIL_FAST_MS })
    t.equal(ready.status, 200, 'a cache outage does not take the replica out of the load balancer')
    t.has(JSON.parse(ready.body), { status: 'degraded', checks: { cache: { status: 'down', kind: 'redis' }, database: { status: 'up' } } })

    proxy.restore()
    let status: string | undefined
    for (let attempt = 0; attempt < RECOVERY_ATTEMPTS && status !== 'ok'; attempt++) {
      status = (JSON.parse((await httpCall(`${server.url}/health/ready`, { timeoutMs: FAIL_FAST_MS })).body) as { status: string }).status
      if (status !== 'ok') await pause(100)
    }
    t.equal(status, 'ok', 'readiness is ok again once Redis answers')
    const after: number[] = []
    for (let i = 0; i < RATE_LIMIT_MAX; i++) after.push((await list()).status)
    t.ok(after.includes(429), `the shared limit applies again after recovery (${after.join(', ')})`)
  })
}

await runAlone(import.meta.url, redisOutageTests)
