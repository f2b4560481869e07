/**
 * A Redis that stops answering (packets dropped, no reset), the way real outages usually look. The clean
 * refusal of test/process/redis-outage.test.ts is cheap; silence used to cost every cached read 1.5–2 s for as
 * long as it lasted, while readiness said nothing for a second at a time. Required: no request hangs, a
 * dependency known to be down is not waited on again (src/cache/redis-watchdog.ts), readiness and metrics say
 * so within seconds, and everything recovers by itself once Redis answers again.
 */
import type { Test } from 'tap'
import { usingRedis } from '../support/backends.js'
import { proxyInFront } from '../support/tcp-proxy.js'
import { bootstrapAdmin, createProductOverHttp, httpCall, metricOf, serverEnv, startServer } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Every request must answer within this, even before the silence is detected (three 500 ms command timeouts). */
const REQUEST_BOUND_MS = 3000
/** Readiness must report the outage, and then the recovery, within this. */
const DETECTION_BOUND_MS = 10_000

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function redisBlackHoleTests (t: Test): Promise<void> {
  t.test('black-holed Redis: reads stay fast once detected, readiness degraded, metrics say so, recovery by itself', { skip: usingRedis ? false : 'needs REDIS_URL (the in-memory cache cannot go silent)' }, async (t) => {
    const env = await serverEnv(t)
    const { proxy, url: viaProxy } = await proxyInFront(t, env.REDIS_URL ?? '', 6379)
    const admin = bootstrapAdmin('black-hole')
    const server = await startServer(t, { baseEnv: { ...env, REDIS_URL: viaProxy, ...admin.env } })
    const id = await createProductOverHttp(server, admin.credentials, { sku: `BH-${process.pid}`, name: 'Black hole mug', priceCents: 1200, stock: 5 })
    const read = async () => {
      const started = Date.now()
      const response = await httpCall(`${server.url}/v1/products/${id}`, { timeoutMs: REQUEST_BOUND_MS })
      return { status: response.status, ms: Date.now() - started }
    }
    const readiness = async () => JSON.parse((await httpCall(`${server.url}/health/ready`, { timeoutMs: REQUEST_BOUND_MS })).body) as { status: string }
    const metric = async (name: string) => metricOf(server, `${name}{backend="redis"}`)

    t.equal((await read()).status, 200)
    t.equal(await metric('cache_connected'), 1)

    proxy.inject({ kind: 'black-hole' })
    // Until the silence is detected, requests wait on command timeouts, but each one still answers, within the bound.
    let dropped = 0
    const detectionStarted = Date.now()
    while (dropped < 1 && Date.now() - detectionStarted < DETECTION_BOUND_MS) {
      const outcome = await read()
      t.equal(outcome.status, 200, `served from the database while Redis is silent (${outcome.ms} ms)`)
      dropped = await metric('cache_forced_reconnects_total')
    }
    t.ok(dropped >= 1, `the watchdog dropped the silent connection (after ${Date.now() - detectionStarted} ms)`)
    t.equal(await metric('cache_connected'), 0, 'the metric shows the cache down')
    let status = (await readiness()).status
    t.equal(status, 'degraded', 'readiness reports the silent cache, and stays 200')

    // Known down: no request waits on Redis any more.
    const after = []
    for (let i = 0; i < 20; i++) after.push(await read())
    t.same(after.filter((outcome) => outcome.status !== 200), [], 'every read answered 200')
    t.ok(median(after.map((outcome) => outcome.ms)) < 450, `reads no longer wait for a 500 ms command timeout (median ${median(after.map((outcome) => outcome.ms))} ms)`)

    proxy.restore()
    const recoveryStarted = Date.now()
    while (status !== 'ok' && Date.now() - recoveryStarted < DETECTION_BOUND_MS) {
      await pause(200)
      status = (await readiness()).status
    }
    t.equal(status, 'ok', `readiness recovered by itself (after ${Date.now() - recoveryStarted} ms), no restart`)
    t.equal(await metric('cache_connected'), 1)
    t.equal((await read()).status, 200)
    t.same(await server.stop(), { code: 0, signal: null }, 'and it still shuts down cleanly')
  })
}

await runAlone(import.meta.url, redisBlackHoleTests)
