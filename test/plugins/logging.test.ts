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

// One app per log format (the format is chosen when the app is built); the careless route is on the JSON one.
const apps = {
  json: await buildTestApp(t, { captureLogs: true, routes: carelessRoute, env: { LOG_FORMAT: 'json' } }),
  pretty: await buildTestApp(t, { captureLogs: true, env: { LOG_FORMAT: 'pretty' } })
}

t.test('log lines never hold an authorization header, cookie, password or token', async (t) => {
  const test = apps.json
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

const QUERY_SECRETS = {
  access_token: 'eyJhbGciOiJIUzI1NiJ9.query-access-token.sig',
  token: 'opaque-query-token-3f9c1d',
  refreshToken: 'query-refresh-token-8b2e7a'
}

/** Each secret as a query value on routes that reject it at validation (400), auth (401) and routing (404). */
async function sendQuerySecrets (app: FastifyInstance) {
  const statuses: number[] = []
  for (const url of [
    `/v1/products?limit=1&access_token=${QUERY_SECRETS.access_token}`,
    `/v1/users/me?token=${QUERY_SECRETS.token}`,
    `/v1/auth/refresh?refreshToken=${QUERY_SECRETS.refreshToken}`,
    `/v1/nowhere?access_token=${QUERY_SECRETS.access_token}&token=${QUERY_SECRETS.token}`,
    // The secret as a parameter name, not a value.
    `/v1/products?${QUERY_SECRETS.access_token}`
  ]) {
    const response = await app.inject({ method: url.startsWith('/v1/auth') ? 'POST' : 'GET', url, payload: url.startsWith('/v1/auth') ? {} : undefined })
    statuses.push(response.statusCode)
  }
  return statuses
}

for (const format of ['json', 'pretty'] as const) {
  t.test(`LOG_FORMAT=${format}: a token in the query string never reaches a log line; the path and the query's names do`, async (t) => {
    const test = apps[format]
    const statuses = await sendQuerySecrets(test.app)
    t.same(statuses.sort(), [400, 400, 400, 401, 404], 'rejections by validation, auth and the router: each is logged')
    const text = test.logText()
    for (const secret of Object.values(QUERY_SECRETS)) t.notMatch(text, secret)
    t.match(text, '/v1/products?limit&access_token')
    t.match(text, '/v1/users/me?token')
    t.match(text, '/v1/auth/refresh?refreshToken')
    t.match(text, '/v1/nowhere?access_token&token')
    t.match(text, '/v1/products?[redacted]')
  })
}
