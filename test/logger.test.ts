import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildTestApp } from './helper.js'
import { runAlone } from './support/test-file.js'

const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$secret-digest-that-must-not-leak'

/** Test-only routes: what a handler sees of its logger, and a database error whose detail repeats a password hash. */
function testRoutes (app: FastifyInstance) {
  // Fastify types the request logger as its base interface; at run time it is a pino child.
  app.get('/test/log-bindings', async (request) => (request.log as unknown as Logger).bindings())
  app.get('/test/log-debug', async (request) => {
    request.log.level = 'debug'
    request.log.debug('written at a raised level')
    return { ok: true }
  })
  app.get('/test/log-db-error', async () => {
    // A NOT NULL violation: PostgreSQL's detail is "Failing row contains (…)", the hash included.
    await app.db.query('INSERT INTO users (email, name, password_hash) VALUES (NULL, $1, $2)', ['n', PASSWORD_HASH])
    return { ok: true }
  })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function loggerTests (t: Test): Promise<void> {
  // LOG_LEVEL=warn, as production runs: request lines and info are off, so a request's logger writes nothing unless asked.
  const test = await buildTestApp(t, { captureLogs: true, routes: testRoutes, env: { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' } })
  const { app } = test

  t.test('a request logger carries the request id from the start, before it writes anything', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/test/log-bindings', headers: { 'x-request-id': 'bind-me-1' } })
    t.same(response.json(), { requestId: 'bind-me-1' })
  })

  t.test('a request logger raised to debug writes the request id on its lines', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/test/log-debug', headers: { 'x-request-id': 'debug-me-2' } })
    t.equal(response.statusCode, 200)
    const line = test.logs.find((entry) => entry.msg === 'written at a raised level')
    t.has(line, { requestId: 'debug-me-2', level: 20 })
  })

  t.test('a database error is logged with its cause; its detail (the failing row) and bound parameters are redacted', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/test/log-db-error', headers: { 'x-request-id': 'db-error-3' } })
    t.equal(response.statusCode, 500)
    const line = test.logs.find((entry) => entry.requestId === 'db-error-3' && entry.msg === 'request failed')
    const err = line?.err as Record<string, unknown> | undefined
    t.match(err?.message, /null value in column "email"/, 'the cause is logged')
    t.equal(err?.detail, '[redacted]')
    // PGlite attaches the statement's parameters to its errors; node-postgres does not.
    if (err?.params !== undefined) t.equal(err.params, '[redacted]')
    t.notMatch(test.logText(), 'secret-digest-that-must-not-leak')
  })
}

await runAlone(import.meta.url, loggerTests)
