import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function healthTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)

  t.test('liveness answers ok without touching a dependency', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/health/live' })
    t.equal(response.statusCode, 200)
    t.same(response.json(), { status: 'ok' })
  })

  t.test('readiness reports database and cache', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.equal(body.status, 'ok')
    t.equal(body.checks.database.status, 'up')
    t.type(body.checks.database.latencyMs, 'number')
    t.equal(body.checks.cache.status, 'up')
  })
}

await runAlone(import.meta.url, healthTests)
