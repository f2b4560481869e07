import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'

const SECRET_PASSWORD = 'CorrectHorseBatteryStaple-42'
const SECRET_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.secret-token-body.signature'

/** A careless handler that logs everything it got: redaction must still hold. */
function carelessRoute (app: FastifyInstance) {
  app.post('/v1/test/careless', async (request) => {
    request.log.info({ headers: request.headers, body: request.body }, 'got a request')
    request.log.info({ user: { password: SECRET_PASSWORD, refreshToken: SECRET_TOKEN } }, 'nested secrets')
    return { ok: true }
  })
}

t.test('log lines never hold an authorization header, cookie, password or token', async (t) => {
  const test = await buildTestApp(t, { captureLogs: true, routes: carelessRoute })
  const response = await test.app.inject({
    method: 'POST',
    url: '/v1/test/careless',
    headers: { authorization: `Bearer ${SECRET_TOKEN}`, cookie: 'session=cookie-secret' },
    payload: { email: 'a@example.com', password: SECRET_PASSWORD, currentPassword: SECRET_PASSWORD, refreshToken: SECRET_TOKEN }
  })
  t.equal(response.statusCode, 200)
  const text = test.logText()
  t.match(text, /got a request/, 'the lines were written')
  t.match(text, /\[redacted\]/)
  t.notMatch(text, SECRET_PASSWORD)
  t.notMatch(text, SECRET_TOKEN)
  t.notMatch(text, 'cookie-secret')
})
