import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { usingPostgres } from '../support/backends.js'
import { proxyInFront } from '../support/tcp-proxy.js'
import { httpCall, serverEnv, startServer, type HttpResult } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** "Fast" in docs/api.md's sense: a hung request would run into this and fail the test instead of passing slowly. */
const FAIL_FAST_MS = 3000
const RECOVERY_ATTEMPTS = 100

const register = async (url: string): Promise<HttpResult> => httpCall(`${url}/v1/auth/register`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: `outage-${randomUUID()}@example.test`, password: 'correct horse battery', name: 'Outage' }),
  timeoutMs: FAIL_FAST_MS
})

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function databaseOutageTests (t: Test): Promise<void> {
  // PGlite runs inside the process: there is no connection to cut. The proof needs a real PostgreSQL server.
  t.test('database outage: 503 problem fast, readiness fails, liveness holds, recovery without restart', { skip: usingPostgres ? false : 'needs DATABASE_URL (PGlite is in-process, nothing to cut)' }, async (t) => {
    const env = await serverEnv(t)
    const { proxy, url: viaProxy } = await proxyInFront(t, env.DATABASE_URL ?? '', 5432)
    const server = await startServer(t, {
      baseEnv: { ...env, DATABASE_URL: viaProxy, DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000' }
    })

    t.equal((await register(server.url)).status, 201, 'writes work before the outage')

    proxy.cut()
    const write = await register(server.url)
    t.equal(write.status, 503, 'a request that needs the database answers 503, not 500 and not a hang')
    t.match(write.headers['content-type'], /^application\/problem\+json/)
    const problem = JSON.parse(write.body) as { status: number, type: string, detail: string }
    t.equal(problem.status, 503)
    t.notMatch(problem.detail, /ECONN|terminated|pg|timeout exceeded/i, 'no driver message reaches the client')

    const ready = await httpCall(`${server.url}/health/ready`, { timeoutMs: FAIL_FAST_MS })
    t.equal(ready.status, 503)
    t.has(JSON.parse(ready.body), { status: 'fail', checks: { database: { status: 'down' } } })
    t.equal((await httpCall(`${server.url}/health/live`, { timeoutMs: FAIL_FAST_MS })).status, 200, 'liveness holds: a restart would not bring the database back')

    proxy.restore()
    let recovered: HttpResult | undefined
    for (let attempt = 0; attempt < RECOVERY_ATTEMPTS && recovered?.status !== 200; attempt++) {
      recovered = await httpCall(`${server.url}/health/ready`, { timeoutMs: FAIL_FAST_MS })
      if (recovered.status !== 200) await pause(100)
    }
    t.equal(recovered?.status, 200, 'readiness recovers by itself')
    t.equal((await register(server.url)).status, 201, 'writes work again')
    t.same(await Promise.race([server.exited, pause(0).then(() => 'running')]), 'running', 'the same process, never restarted')
  })
}

await runAlone(import.meta.url, databaseOutageTests)
