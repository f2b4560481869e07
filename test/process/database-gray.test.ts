/**
 * PostgreSQL failing the gray way (docs/reliability.md): silent on established connections, slow with jitter,
 * reset in the middle of a reply, or stuck after a number of bytes. The clean refusal of database-outage.test.ts
 * is cheap; these are not. Required: no request hangs (every one answers within a bound, a 503 problem with
 * retry-after when the database is gone), a database known to be down is not waited on again and again (the
 * circuit breaker of src/database/circuit.ts), readiness and metrics say so within seconds, everything recovers
 * by itself, and the event loop stays responsive throughout (liveness latency is printed).
 */
import type { Test } from 'tap'
import { usingPostgres } from '../support/backends.js'
import { proxyInFront } from '../support/tcp-proxy.js'
import { sampleLatency } from '../support/latency-sampler.js'
import { httpCall, metricOf, serverEnv, startServer, type HttpResult } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Settings of this test's server: a 1 s connect timeout, a 1 s statement timeout (so a 2 s query timeout). */
const SETTINGS = { DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_BREAKER_COOLDOWN_MS: '2000', DATABASE_BREAKER_THRESHOLD: '5' }
/** docs/reliability.md: connect timeout + query timeout, with room for a loaded machine. A hang runs into it. */
const REQUEST_BOUND_MS = 8000
/** Readiness must report the fault, and then the recovery, within this. */
const DETECTION_BOUND_MS = 15_000
/** An open circuit answers without waiting for the database: well under the 2 s query timeout. */
const FAST_MS = 500
/** Liveness under faults: generous, a stalled event loop would take seconds. */
const LIVE_P99_BOUND_MS = 1000

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function databaseGrayTests (t: Test): Promise<void> {
  t.test('gray PostgreSQL: bounded answers, 503 + retry-after, a breaker that fails fast and probes, recovery by itself', { skip: usingPostgres ? false : 'needs DATABASE_URL (PGlite is in-process, nothing to cut)' }, async (t) => {
    const env = await serverEnv(t)
    const { proxy, url: viaProxy } = await proxyInFront(t, env.DATABASE_URL ?? '', 5432)
    const server = await startServer(t, { baseEnv: { ...env, ...SETTINGS, RATE_LIMIT_MAX: '100000', DATABASE_URL: viaProxy } })
    const live = sampleLatency(`${server.url}/health/live`)

    let lists = 0
    const list = async () => {
      const started = Date.now()
      // A page of its own each time: a page cached earlier would be answered without the database under test.
      lists++
      const response: HttpResult | Error = await httpCall(`${server.url}/v1/products?limit=5&page=${lists}`, { timeoutMs: REQUEST_BOUND_MS }).catch((error: Error) => error)
      return { response, ms: Date.now() - started }
    }
    const readiness = async () => {
      const answer = await httpCall(`${server.url}/health/ready`, { timeoutMs: REQUEST_BOUND_MS })
      return { code: answer.status, body: JSON.parse(answer.body) as { status: string, checks: { database: { status: string, circuit: string } } } }
    }
    const metric = async (series: string) => metricOf(server, series)
    const statuses = (outcomes: Array<{ response: HttpResult | Error }>) => outcomes.map(({ response }) => response instanceof Error ? response.message : response.status)
    const waitReady = async (label: string) => {
      const started = Date.now()
      let ready = await readiness()
      while (ready.code !== 200 && Date.now() - started < DETECTION_BOUND_MS) { await pause(200); ready = await readiness() }
      t.equal(ready.code, 200, `${label}: readiness recovered by itself after ${Date.now() - started} ms, no restart`)
      t.equal(ready.body.checks.database.circuit, 'closed')
    }

    t.same(statuses([await list()]), [200], 'reads work before any fault')
    t.equal(await metric('db_circuit_state{state="closed"}'), 1, 'the circuit starts closed')

    await t.test('black hole on established and new connections', async (t) => {
      proxy.inject({ kind: 'black-hole' })
      // The first wave waits on timeouts (connect or query), but every request answers within the bound, with a 503.
      const wave = await Promise.all(Array.from({ length: 10 }, list))
      t.same(statuses(wave), wave.map(() => 503), `every request answered 503 within ${REQUEST_BOUND_MS} ms (slowest ${Math.max(...wave.map((o) => o.ms))} ms)`)
      const first = wave[0]?.response
      if (first !== undefined && !(first instanceof Error)) {
        t.match(first.headers['content-type'], /^application\/problem\+json/)
        t.ok(Number(first.headers['retry-after']) >= 1, 'with retry-after')
      }
      const ready = await readiness()
      t.equal(ready.code, 503, 'readiness fails')
      t.same(ready.body.checks.database, { status: 'down', circuit: 'open' }, 'and names the open circuit')
      t.equal(await metric('db_circuit_state{state="open"}'), 1, 'the metric shows the circuit open')
      t.ok(await metric('db_circuit_opened_total') >= 1)

      // Known down: requests are not sent to the database again; at most one probe per cooldown waits.
      const after = []
      for (let i = 0; i < 10; i++) after.push(await list())
      t.same(statuses(after), after.map(() => 503), 'still 503')
      const typical = median(after.map((o) => o.ms))
      t.ok(typical < FAST_MS, `answered without waiting for a timeout (median ${typical} ms, query timeout 2000 ms)`)

      proxy.restore()
      await waitReady('black hole lifted')
      t.same(statuses([await list()]), [200], 'reads work again')
    })

    await t.test('latency with jitter: slow but answered', async (t) => {
      proxy.inject({ kind: 'latency', ms: 100, jitterMs: 150 })
      const outcomes = await Promise.all(Array.from({ length: 10 }, list))
      t.same(statuses(outcomes), outcomes.map(() => 200), `every read answered 200 (slowest ${Math.max(...outcomes.map((o) => o.ms))} ms)`)
      t.equal((await readiness()).body.checks.database.circuit, 'closed', 'slowness under the timeouts never opens the circuit')
      proxy.restore()
    })

    await t.test('reset in the middle of a reply', async (t) => {
      proxy.inject({ kind: 'reset-mid-response' })
      const hit = await list()
      t.ok([200, 503].includes(hit.response instanceof Error ? 0 : hit.response.status), `the request whose reply was cut answers 200 or 503 (${statuses([hit]).join()})`)
      await pause(100)
      const after = []
      for (let i = 0; i < 5; i++) after.push(await list())
      t.same(statuses(after), after.map(() => 200), 'the broken connection left the pool: later reads work')
    })

    await t.test('byte limit: every connection stalls after 2 KiB', async (t) => {
      proxy.inject({ kind: 'byte-limit', bytes: 2048 })
      const outcomes = []
      for (let i = 0; i < 12; i++) outcomes.push(await list())
      t.same(outcomes.filter(({ response }) => response instanceof Error || ![200, 503].includes(response.status)).map(({ response, ms }) => `${response instanceof Error ? response.message : response.status} in ${ms} ms`), [],
        `every read answered 200 or 503 within ${REQUEST_BOUND_MS} ms (${statuses(outcomes).join(' ')}; slowest ${Math.max(...outcomes.map((o) => o.ms))} ms)`)
      proxy.restore()
      await waitReady('byte limit lifted')
    })

    const liveness = await live.stop()
    t.comment(`/health/live during the faults: ${JSON.stringify(liveness)}`)
    t.ok(liveness.p99 < LIVE_P99_BOUND_MS, `liveness p99 ${liveness.p99} ms (bound ${LIVE_P99_BOUND_MS} ms)`)
    t.equal(liveness.failures, 0, 'liveness never failed')
    t.same(await server.stop(), { code: 0, signal: null }, 'and it still shuts down cleanly')
  })
}

await runAlone(import.meta.url, databaseGrayTests)
