import type { Test } from 'tap'
import { httpCall, startServer, type HttpResult } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Any real stall trips it; an idle loop on a busy 2-core machine stays far below. */
const MAX_EVENT_LOOP_DELAY_MS = 25
/**
 * The starvation: the process is frozen for FROZEN_MS, then runs for RUNNING_MS, over and over, for STARVED_MS.
 * under-pressure decides on the mean delay of the last completed 1 s sampling window, and each window now holds
 * several long stalls, whatever the order in which libuv runs the expired timers after each one. (A single long
 * stall can be read one window late: when a JavaScript timer falls due before the delay monitor's, the sampler
 * reads the calm window before the stall is recorded.)
 */
const FROZEN_MS = 250
const RUNNING_MS = 25
const STARVED_MS = 4000
const CLIENT_TIMEOUT_MS = 15_000
const RECOVERY_ATTEMPTS = 100

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function eventLoopTests (t: Test): Promise<void> {
  /**
   * Real event-loop saturation without a test-only route: SIGSTOP freezes the process (as long synchronous tasks
   * or a CPU-starved container would), requests pile up in the kernel's accept queue, SIGCONT lets it run a little.
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

    let frozen = false
    t.teardown(() => { if (frozen) process.kill(server.pid, 'SIGCONT') })
    const starvedUntil = Date.now() + STARVED_MS
    const starving = (async () => {
      while (Date.now() < starvedUntil) {
        process.kill(server.pid, 'SIGSTOP')
        frozen = true
        await pause(FROZEN_MS)
        process.kill(server.pid, 'SIGCONT')
        frozen = false
        await pause(RUNNING_MS)
      }
    })()
    const answers: Record<string, HttpResult[]> = { '/v1/products': [], '/health/live': [], '/metrics': [] }
    const asking = (async () => {
      while (Date.now() < starvedUntil) {
        for (const path of Object.keys(answers)) answers[path]?.push(await call(path))
      }
    })()
    await Promise.all([starving, asking])

    const api = answers['/v1/products'] ?? []
    const shed = api.find((answer) => answer.status === 503)
    t.ok(shed !== undefined, `the API sheds instead of queueing without bound (${api.filter((answer) => answer.status === 503).length} of ${api.length} answers 503)`)
    t.match(shed?.headers['content-type'], /^application\/problem\+json/)
    t.match(shed?.headers['retry-after'], /^\d+$/, 'retry-after tells the client when to come back')
    t.same(answers['/health/live']?.filter((answer) => answer.status !== 200), [], 'liveness is exempt: a busy process must not be restarted')
    t.same(answers['/metrics']?.filter((answer) => answer.status !== 200), [], 'metrics are exempt: the scrape is most useful exactly now')
    t.ok((answers['/health/live']?.length ?? 0) > 0, 'liveness was asked during the starvation')

    t.equal((await untilServed())?.status, 200, 'serves again once the loop has caught up')
  })
}

await runAlone(import.meta.url, eventLoopTests)
