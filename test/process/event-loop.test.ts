import type { Test } from 'tap'
import { httpCall, startServer, type HttpResult } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Any real stall trips it; an idle loop on a busy 2-core machine stays far below. */
const MAX_EVENT_LOOP_DELAY_MS = 25
/** Long enough that the stall dominates the 1 s sampling window's mean delay (under-pressure's measure). */
const STALL_MS = 5000
const CLIENT_TIMEOUT_MS = 15_000
const RECOVERY_ATTEMPTS = 100
/**
 * under-pressure decides on the last completed 1 s sampling window. After the stall, libuv runs the expired
 * timers in deadline order: usually the delay monitor records the stall before the sampling timer reads the
 * window, but when the sampler's deadline comes first it reads a calm window and the stall counts one window
 * later. Shedding must therefore show within two windows of the resume, not necessarily on the first request.
 */
const SHED_WITHIN_MS = 2500

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function eventLoopTests (t: Test): Promise<void> {
  /**
   * Real event-loop saturation without a test-only route: SIGSTOP freezes the process (as a long synchronous
   * task or a CPU-starved container would), requests pile up in the kernel's accept queue, SIGCONT lets it run.
   */
  t.test('a saturated event loop sheds with 503 + retry-after; liveness and metrics are exempt; it recovers', async (t) => {
    const server = await startServer(t, { env: { MAX_EVENT_LOOP_DELAY_MS: String(MAX_EVENT_LOOP_DELAY_MS) } })
    const call = async (path: string) => httpCall(`${server.url}${path}`, { timeoutMs: CLIENT_TIMEOUT_MS })
    const untilServed = async (): Promise<HttpResult | undefined> => {
      let answer: HttpResult | undefined
      for (let attempt = 0; attempt < RECOVERY_ATTEMPTS && answer?.status !== 200; attempt++) {
        answer = await call('/v1/products')
        if (answer.status !== 200) await pause(100)
      }
      return answer
    }
    // Boot itself (PGlite, migrations) may have lagged the first sampling window; start from a calm loop.
    t.equal((await untilServed())?.status, 200, 'served while the loop is healthy')

    process.kill(server.pid, 'SIGSTOP')
    let stopped = true
    t.teardown(() => { if (stopped) process.kill(server.pid, 'SIGCONT') })
    const queued: Array<Promise<HttpResult>> = [call('/v1/products'), call('/health/live'), call('/metrics')]
    await pause(STALL_MS)
    process.kill(server.pid, 'SIGCONT')
    stopped = false
    const resumedAt = Date.now()
    const [queuedApi, live, metrics] = await Promise.all(queued)
    let api = queuedApi
    while (api?.status !== 503 && Date.now() - resumedAt < SHED_WITHIN_MS) {
      await pause(50)
      api = await call('/v1/products')
    }

    t.equal(api?.status, 503, 'the API sheds instead of queueing without bound')
    t.match(api?.headers['content-type'], /^application\/problem\+json/)
    t.match(api?.headers['retry-after'], /^\d+$/, 'retry-after tells the client when to come back')
    t.equal(live?.status, 200, 'liveness is exempt: a busy process must not be restarted')
    t.equal(metrics?.status, 200, 'metrics are exempt: the scrape is most useful exactly now')

    t.equal((await untilServed())?.status, 200, 'serves again once the loop has caught up')
  })
}

await runAlone(import.meta.url, eventLoopTests)
