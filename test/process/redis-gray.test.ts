/**
 * Redis failing the gray ways other than the black hole (test/process/redis-black-hole.test.ts): slow with jitter,
 * reset in the middle of a reply, stuck after a number of bytes. Redis is only a cache and the rate-limit store:
 * every request must answer normally (cache treated as a miss, the rate limit failing open) within a bound, and
 * readiness must come back to `ok` by itself once the fault is lifted (docs/reliability.md).
 */
import type { Test } from 'tap'
import { usingRedis } from '../support/backends.js'
import { proxyInFront, type Fault } from '../support/tcp-proxy.js'
import { bootstrapAdmin, createProductOverHttp, httpCall, serverEnv, startServer } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** A few 500 ms command timeouts at most (cache read, fill, rate-limit counter), with room for a loaded machine. */
const REQUEST_BOUND_MS = 5000
const RECOVERY_BOUND_MS = 15_000

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function redisGrayTests (t: Test): Promise<void> {
  t.test('gray Redis: reads answer 200 within the bound under latency, resets and a byte limit; recovery by itself', { skip: usingRedis ? false : 'needs REDIS_URL (the in-memory cache cannot go silent)' }, async (t) => {
    const env = await serverEnv(t)
    const { proxy, url: viaProxy } = await proxyInFront(t, env.REDIS_URL ?? '', 6379)
    const admin = bootstrapAdmin('redis-gray')
    const server = await startServer(t, { baseEnv: { ...env, REDIS_URL: viaProxy, RATE_LIMIT_MAX: '100000', ...admin.env } })
    const id = await createProductOverHttp(server, admin.credentials, { sku: `RG-${process.pid}`, name: 'Gray mug', priceCents: 900, stock: 3 })
    const readiness = async () => JSON.parse((await httpCall(`${server.url}/health/ready`, { timeoutMs: REQUEST_BOUND_MS })).body) as { status: string }

    const faults: Fault[] = [{ kind: 'latency', ms: 100, jitterMs: 800 }, { kind: 'reset-mid-response' }, { kind: 'byte-limit', bytes: 2048 }]
    for (const fault of faults) {
      // Every read goes through the rate limit (a Redis counter) and the cache: both must give way, never a 500 or a hang.
      proxy.inject(fault)
      const outcomes = []
      for (let i = 0; i < 12; i++) {
        const started = Date.now()
        const answer = await httpCall(`${server.url}/v1/products/${id}`, { timeoutMs: REQUEST_BOUND_MS }).catch((error: Error) => ({ status: error.message }))
        outcomes.push({ status: answer.status, ms: Date.now() - started })
      }
      t.same(outcomes.filter((outcome) => outcome.status !== 200), [],
        `${fault.kind}: every read answered within ${REQUEST_BOUND_MS} ms (slowest ${Math.max(...outcomes.map((o) => o.ms))} ms; ${outcomes.map((o) => o.status).join(' ')})`)
      proxy.restore()
      const started = Date.now()
      let status = (await readiness()).status
      while (status !== 'ok' && Date.now() - started < RECOVERY_BOUND_MS) { await pause(200); status = (await readiness()).status }
      t.equal(status, 'ok', `${fault.kind} lifted: readiness ok again after ${Date.now() - started} ms`)
    }
    t.same(await server.stop(), { code: 0, signal: null }, 'and it still shuts down cleanly')
  })
}

await runAlone(import.meta.url, redisGrayTests)
