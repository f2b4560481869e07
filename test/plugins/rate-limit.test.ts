import type { Test } from 'tap'
import { buildTestApp, usingRedis } from '../helper.js'
import { parseFieldItems } from '../support/rate-limit-fields.js'
import { runAlone } from '../support/test-file.js'

/** Any /v1 route will do: the limit belongs to the /v1 scope, so a test-only route outside it would not be limited. */
const LIMITED_URL = '/v1/products?limit=1'

const LIMITED = { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' }

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function rateLimitTests (t: Test): Promise<void> {
  // One app with the low limit for every test: the counters are per client address, and each test uses its own.
  const { app } = await buildTestApp(t, { env: LIMITED })

  t.test('every /v1 response carries the current draft\'s RateLimit-Policy and RateLimit fields; over the limit is a 429 problem with retry-after', async (t) => {
    const remaining: number[] = []
    for (let i = 0; i < 3; i++) {
      const response = await app.inject({ method: 'GET', url: LIMITED_URL, remoteAddress: '203.0.113.7' })
      t.equal(response.statusCode, 200)
      t.equal(response.headers['ratelimit-policy'], '"default";q=3;w=60', 'one named policy: quota and window in seconds')
      const state = parseFieldItems(response.headers.ratelimit).get('default')
      t.ok(state !== undefined && state.t !== undefined && state.t > 0 && state.t <= 60, `t is the seconds until the reset (${response.headers.ratelimit})`)
      remaining.push(state?.r ?? -1)
      t.notOk(response.headers['ratelimit-limit'], 'the earlier draft\'s separate fields are gone')
      t.notOk(response.headers['x-ratelimit-limit'])
    }
    t.same(remaining, [2, 1, 0])
    const limited = await app.inject({ method: 'GET', url: LIMITED_URL, remoteAddress: '203.0.113.7' })
    t.equal(limited.statusCode, 429)
    t.equal(parseFieldItems(limited.headers.ratelimit).get('default')?.r, 0, 'a refused request shows nothing left')
    t.match(limited.headers['content-type'], /^application\/problem\+json/)
    t.ok(Number(limited.headers['retry-after']) > 0, 'retry-after in seconds')
    t.match(limited.json(), { type: /\/problems\/rate-limited$/ })
    t.hasStrict(limited.json(), { status: 429, title: 'Too Many Requests' })

    const otherClient = await app.inject({ method: 'GET', url: LIMITED_URL, remoteAddress: '203.0.113.8' })
    t.equal(otherClient.statusCode, 200, 'the limit is per client IP')
  })

  t.test('health probes and docs are never rate limited', async (t) => {
    for (let i = 0; i < 6; i++) {
      for (const url of ['/health/live', '/health/ready', '/docs/json']) {
        const response = await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.30' })
        t.equal(response.statusCode, 200, `${url} #${i + 1}`)
        t.notOk(response.headers.ratelimit)
        t.notOk(response.headers['ratelimit-policy'])
      }
    }
  })

  t.test('unknown URLs and wrong methods are counted and announced like any /v1 request', async (t) => {
    const client = { remoteAddress: '203.0.113.20' }
    const answers = [
      await app.inject({ method: 'GET', url: '/nowhere', ...client }),
      await app.inject({ method: 'GET', url: '/v1/nowhere', ...client }),
      await app.inject({ method: 'PUT', url: '/v1/products', ...client })
    ]
    t.same(answers.map((answer) => answer.statusCode), [404, 404, 405])
    t.same(answers.map((answer) => parseFieldItems(answer.headers.ratelimit).get('default')?.r), [2, 1, 0])
    t.equal((await app.inject({ method: 'DELETE', url: '/v1/users', ...client })).statusCode, 429, 'the fourth is refused')
  })

  t.test('x-forwarded-for does not change the client when TRUST_PROXY is off', async (t) => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const response = await app.inject({ method: 'GET', url: LIMITED_URL, remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': `198.51.100.${i}` } })
      statuses.push(response.statusCode)
    }
    t.same(statuses, [200, 200, 200, 429])
  })

  t.test('two instances sharing one Redis share one counter', { skip: usingRedis ? false : 'needs REDIS_URL (in-memory counters are per process by design)' }, async (t) => {
    // The second instance is the point of this test: the file's app is the first.
    const second = await buildTestApp(t, { env: LIMITED })
    const client = { remoteAddress: '203.0.113.50' }
    const statuses = []
    for (const instance of [app, second.app, app, second.app]) {
      statuses.push((await instance.inject({ method: 'GET', url: LIMITED_URL, ...client })).statusCode)
    }
    t.same(statuses, [200, 200, 200, 429])
  })
}

await runAlone(import.meta.url, rateLimitTests)
