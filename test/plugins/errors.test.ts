import type { Test } from 'tap'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'
import { PROBLEM_JSON } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** Test-only routes: a closed body schema, and a handler that fails the way a bug would. */
function testRoutes (app: FastifyInstance) {
  app.post('/v1/test/echo', {
    schema: {
      body: Type.Object({ email: Type.String({ format: 'email' }), age: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })
    }
  }, async (request) => request.body)
  app.get('/v1/test/boom', async () => { throw new Error('connection string postgres://admin:hunter2@db/internal') })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function errorsTests (t: Test): Promise<void> {
  // One app (outside production, logs captured) for every test below but the production one: log assertions pick
  // their lines by request id, so the other tests' lines do not matter.
  const test = await buildTestApp(t, { routes: testRoutes, captureLogs: true })
  const { app } = test

  t.test('validation failure: 400 problem with errors[] naming the field', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: { email: 'not-an-email' }, headers: { 'x-request-id': 'req-1' } })
    t.equal(response.statusCode, 400)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    const body = response.json()
    t.match(body, { type: /\/problems\/validation$/ })
    t.hasStrict(body, {
      title: 'Bad Request',
      status: 400,
      detail: 'body/email must match format "email"',
      instance: '/v1/test/echo',
      requestId: 'req-1'
    })
    t.same(body.errors, [{ field: '/body/email', message: 'must match format "email"' }])
  })

  t.test('unknown body property: 400, not silently dropped', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: { email: 'a@example.com', role: 'admin' } })
    t.equal(response.statusCode, 400)
    t.same(response.json().errors, [{ field: '/body/role', message: "must NOT have additional property 'role'" }])
  })

  t.test('missing property points at the property; body values are not coerced', async (t) => {
    const missing = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: {} })
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().errors[0].field, '/body/email')
    const wrongType = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: { email: 'a@example.com', age: '5' } })
    t.equal(wrongType.statusCode, 400, 'a string is not an integer in a JSON body')
    const ok = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: { email: 'a@example.com', age: 5 } })
    t.equal(ok.statusCode, 200)
  })

  t.test('malformed JSON: 400 problem', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: '{"email": ', headers: { 'content-type': 'application/json' } })
    t.equal(response.statusCode, 400)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    t.match(response.json(), { type: /\/problems\/malformed-json$/ })
    t.hasStrict(response.json(), { status: 400, title: 'Bad Request' })
  })

  t.test('prototype pollution keys in JSON: 400, never reach a handler', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: '{"email":"a@example.com","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } })
    t.equal(response.statusCode, 400)
    t.match(response.headers['content-type'], PROBLEM_JSON)
  })

  t.test('body over 1 MiB: 413 problem', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: JSON.stringify({ email: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } })
    t.equal(response.statusCode, 413)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    t.match(response.json(), { type: /\/problems\/payload-too-large$/ })
    t.hasStrict(response.json(), { status: 413, title: 'Payload Too Large' })
  })

  t.test('content type other than JSON: 415 problem', async (t) => {
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'text/plain; charset=utf-8']) {
      const response = await app.inject({ method: 'POST', url: '/v1/test/echo', payload: 'email=a@example.com', headers: { 'content-type': contentType } })
      t.equal(response.statusCode, 415, contentType)
      t.match(response.headers['content-type'], PROBLEM_JSON)
      t.match(response.json(), { status: 415, type: /\/problems\/unsupported-media-type$/ })
    }
  })

  t.test('unknown route: 404 problem', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' })
    t.equal(response.statusCode, 404)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    t.match(response.json(), { type: /\/problems\/not-found$/ })
    t.hasStrict(response.json(), { status: 404, title: 'Not Found', instance: '/v1/nothing-here' })
  })

  t.test('TRACE is not served: a 405 problem naming the methods the path has, never an echo of the request', async (t) => {
    const response = await app.inject({ method: 'TRACE', url: '/health/live', headers: { cookie: 'secret=1' } })
    t.equal(response.statusCode, 405)
    t.equal(response.headers.allow, 'GET, HEAD')
    t.notMatch(response.body, /secret/)
  })

  t.test('unexpected error outside production: 500 problem with the cause, logged at error with the request id', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/test/boom', headers: { 'x-request-id': 'boom-1' } })
    t.equal(response.statusCode, 500)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    t.match(response.json(), { detail: /connection string/ })
    t.hasStrict(response.json(), { status: 500, title: 'Internal Server Error', requestId: 'boom-1' })
    const line = test.logs.find((entry) => entry.level === 50 && entry.requestId === 'boom-1')
    t.ok(line, 'an error-level line')
    t.equal(line?.requestId, 'boom-1')
  })

  t.test('unexpected error in production: 500 says only "Internal server error"', async (t) => {
    // Its own app: NODE_ENV=production is read once, when the app is built.
    const production = await buildTestApp(t, { routes: testRoutes, captureLogs: true, env: { NODE_ENV: 'production' } })
    const response = await production.app.inject({ method: 'GET', url: '/v1/test/boom' })
    t.equal(response.statusCode, 500)
    const body = response.json()
    t.equal(body.detail, 'Internal server error')
    t.notMatch(response.body, /hunter2|postgres:\/\/|stack|at /)
    t.match(production.logText(), /hunter2/, 'the real cause is in the log')
  })

  t.test('client errors are logged at info, not error', async (t) => {
    await app.inject({ method: 'POST', url: '/v1/test/echo', payload: { email: 'nope' }, headers: { 'x-request-id': 'client-error-1' } })
    const mine = test.logs.filter((entry) => entry.requestId === 'client-error-1')
    t.ok(mine.length > 0, 'the request left log lines')
    const rejected = mine.find((entry) => entry.msg === 'request rejected')
    t.equal(rejected?.level, 30)
    t.notOk(mine.some((entry) => Number(entry.level) >= 50))
  })
}

await runAlone(import.meta.url, errorsTests)
