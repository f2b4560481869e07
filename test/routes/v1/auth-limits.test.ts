import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { MAX_FAILED_LOGINS } from '../../../src/auth/login-throttle.js'

const PASSWORD = 'correct horse battery staple'

let counter = 0
function uniqueEmail (): string {
  counter++
  return `limits-${process.pid}-${counter}-${Date.now()}@example.test`
}

async function register (app: FastifyInstance, email: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Limits' } })
  if (response.statusCode !== 201) throw new Error(`register answered ${response.statusCode}`)
}

async function signIn (app: FastifyInstance, email: string, password: string, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress })
}

t.test('auth routes answer 429 with retry-after beyond AUTH_RATE_LIMIT_MAX per minute', async (t) => {
  const { app } = await buildTestApp(t, { env: { AUTH_RATE_LIMIT_MAX: '3' } })
  const statuses: number[] = []
  let last
  for (let i = 0; i < 4; i++) {
    last = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'unknown-token' } })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [401, 401, 401, 429])
  t.equal(last?.headers['ratelimit-limit'], '3')
  t.ok(Number(last?.headers['retry-after']) > 0, 'retry-after is a positive number of seconds')
  t.match(last?.headers['content-type'], /^application\/problem\+json/)
  t.equal(last?.json().status, 429)
})

t.test('the stricter auth limit does not apply to other /v1 routes', async (t) => {
  const { app } = await buildTestApp(t, { env: { AUTH_RATE_LIMIT_MAX: '1' } })
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({ method: 'GET', url: '/v1/users/me' })
    t.equal(response.statusCode, 401)
    t.not(response.headers['ratelimit-limit'], '1')
  }
})

t.test(`after ${MAX_FAILED_LOGINS} failed logins the account answers 429 from that client, even to the right password`, async (t) => {
  const { app } = await buildTestApp(t)
  const email = uniqueEmail()
  await register(app, email)
  for (let i = 0; i < MAX_FAILED_LOGINS; i++) t.equal((await signIn(app, email, `wrong-${i}-password`)).statusCode, 401)
  const blocked = await signIn(app, email, PASSWORD)
  t.equal(blocked.statusCode, 429)
  t.ok(Number(blocked.headers['retry-after']) > 0)
  t.match(blocked.headers['content-type'], /^application\/problem\+json/)
  t.equal((await signIn(app, email, PASSWORD, '10.0.0.7')).statusCode, 200, 'the owner elsewhere is not locked out')
  const other = uniqueEmail()
  await register(app, other)
  t.equal((await signIn(app, other, PASSWORD)).statusCode, 200, 'other accounts from the same client still sign in')
})

t.test('failed logins for an unknown email are limited the same way', async (t) => {
  const { app } = await buildTestApp(t)
  const email = uniqueEmail()
  for (let i = 0; i < MAX_FAILED_LOGINS; i++) t.equal((await signIn(app, email, 'whatever-password')).statusCode, 401)
  t.equal((await signIn(app, email, 'whatever-password')).statusCode, 429)
})

t.test('a successful login clears the failed-login count', async (t) => {
  const { app } = await buildTestApp(t)
  const email = uniqueEmail()
  await register(app, email)
  for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await signIn(app, email, 'wrong-password')
  t.equal((await signIn(app, email, PASSWORD)).statusCode, 200)
  for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) t.equal((await signIn(app, email, 'wrong-password')).statusCode, 401)
  t.equal((await signIn(app, email, PASSWORD)).statusCode, 200, 'the count restarted after the success')
})

t.test('cache counters count up and start over once their window expired', async (t) => {
  const { app } = await buildTestApp(t)
  const key = `test-counter-${Date.now()}`
  t.equal(await app.cache.incr(key, 1), 1)
  t.equal(await app.cache.incr(key, 1), 2)
  t.equal(await app.cache.get<number>(key), 2)
  // Redis expires with one-second resolution; wait past the window instead of asserting on time.
  await sleep(2100)
  t.equal(await app.cache.incr(key, 1), 1)
})
