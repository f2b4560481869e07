import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'
import { uniqueEmail } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function loggingTests (t: Test): Promise<void> {
  // One app per log format (the format is chosen when the app is built).
  const apps = {
    json: await buildTestApp(t, { captureLogs: true, env: { LOG_FORMAT: 'json' } }),
    pretty: await buildTestApp(t, { captureLogs: true, env: { LOG_FORMAT: 'pretty' } })
  }

  /**
   * Nothing redacts headers or body fields (src/logger.ts, REDACTED_PATHS): they stay out of the logs because the
   * request serializer writes neither and no code logs them.
   */
  t.test('log lines never hold an authorization header, cookie or a body\'s password', async (t) => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.header-token-body.signature'
    const password = 'CorrectHorseBatteryStaple-42'
    const test = apps.json
    const response = await test.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { authorization: `Bearer ${token}`, cookie: 'session=cookie-secret' },
      payload: { email: uniqueEmail('logged'), password }
    })
    t.equal(response.statusCode, 401)
    const text = test.logText()
    t.match(text, /incoming request/, 'the request lines were written')
    t.match(text, /request rejected/)
    for (const secret of [token, 'cookie-secret', password]) t.notMatch(text, secret)
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
}

await runAlone(import.meta.url, loggingTests)
