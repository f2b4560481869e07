import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function requestIdTests (t: Test): Promise<void> {
  // One app for the file; log lines are picked by request id.
  const test = await buildTestApp(t, { captureLogs: true })
  const { app } = test

  t.test('x-request-id: a sane incoming id is echoed, otherwise one is generated', async (t) => {
    const echoed = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc.DEF_123-x' } })
    t.equal(echoed.headers['x-request-id'], 'abc.DEF_123-x')

    const generated = await app.inject({ method: 'GET', url: '/health/live' })
    t.match(generated.headers['x-request-id'], UUID)

    for (const insane of ['has space', 'semi;colon', 'x'.repeat(129), '<script>']) {
      const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': insane } })
      t.match(response.headers['x-request-id'], UUID, `replaces ${insane.slice(0, 20)}`)
    }
  })

  t.test('problem bodies carry the same id as the header, and so does every log line of the request', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/missing', headers: { 'x-request-id': 'trace-me-42' } })
    t.equal(response.headers['x-request-id'], 'trace-me-42')
    t.equal(response.json().requestId, 'trace-me-42')
    const lines = test.logs.filter((entry) => entry.requestId === 'trace-me-42')
    t.ok(lines.length >= 2, 'incoming, rejected and completed lines')
    t.ok(lines.some((entry) => entry.msg === 'request rejected'))
  })
}

await runAlone(import.meta.url, requestIdTests)
