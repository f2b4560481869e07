import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function rateLimitTurnTests (t: Test): Promise<void> {
  const seenByHandler: boolean[] = []
  let turnEnded = false
  const { app } = await buildTestApp(t, {
    routes: (app) => {
      app.get('/turn-probe', { onRequest: app.clientRateLimit }, async () => {
        seenByHandler.push(turnEnded)
        return { ok: true }
      })
    }
  })

  // Both stores answer in the next turn: the shared one from its memory share or after Redis, the in-memory one by
  // waiting for it, so requests read together are answered together (bench/README.md, optimisation log).
  t.test('a request counted by the per-client limit is handled in the event loop turn after the one that read it', async (t) => {
    setImmediate(() => { turnEnded = true })
    const response = await app.inject({ method: 'GET', url: '/turn-probe' })
    t.equal(response.statusCode, 200)
    t.same(seenByHandler, [true], 'the handler ran only once the turn that received the request had ended')
  })
}

await runAlone(import.meta.url, rateLimitTurnTests)
