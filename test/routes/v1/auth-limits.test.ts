import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { MAX_FAILED_LOGINS } from '../../../src/auth/login-throttle.js'
import { parseFieldItems } from '../../support/rate-limit-fields.js'
import { PROBLEM_JSON, problemType, uniqueEmail } from '../../support/fixtures.js'
import { registerAndLogin, TEST_PASSWORD } from '../../support/users.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD

async function register (app: FastifyInstance, email: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Limits' } })
  if (response.statusCode !== 201) throw new Error(`register answered ${response.statusCode}`)
}

async function signIn (app: FastifyInstance, email: string, password: string, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function authLimitsTests (t: Test): Promise<void> {
  // The default app: the sign-in lock is keyed by account and client, and every test below uses accounts of its own.
  // Built before any test starts: two apps migrating one PostgreSQL database at once race on its tables.
  const { app } = await buildTestApp(t)

  // The per-client auth limit is a setting of the app and its counter is keyed by client address: these two tests
  // share an app with a low limit, each from an address of its own; everything else runs on the default app above.
  t.test('with AUTH_RATE_LIMIT_MAX=3', async (t) => {
    const { app: limited } = await buildTestApp(t, { env: { AUTH_RATE_LIMIT_MAX: '3' } })

    t.test('auth routes answer 429 with retry-after beyond AUTH_RATE_LIMIT_MAX per minute', async (t) => {
      const statuses: number[] = []
      let last
      for (let i = 0; i < 4; i++) {
        last = await limited.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'unknown-token' }, remoteAddress: '10.4.0.1' })
        statuses.push(last.statusCode)
      }
      t.same(statuses, [401, 401, 401, 429])
      t.equal(last?.headers['ratelimit-policy'], '"default";q=10000;w=60, "auth";q=3;w=60', 'both limits the request was counted against')
      t.same([...parseFieldItems(last?.headers.ratelimit).keys()], ['default', 'auth'])
      t.equal(parseFieldItems(last?.headers.ratelimit).get('auth')?.r, 0)
      const retryAfter = Number(last?.headers['retry-after'])
      t.ok(retryAfter > 0 && retryAfter <= 60, `retry-after is a positive number of seconds within the window (${retryAfter})`)
      t.match(last?.headers['content-type'], PROBLEM_JSON)
      t.equal(last?.json().status, 429)
      t.equal(last?.json().type, problemType('rate-limited'))
    })

    t.test('the stricter auth limit does not apply to other /v1 routes', async (t) => {
      // One more request than the auth limit allows: none of them is refused.
      for (let i = 0; i < 4; i++) {
        const response = await limited.inject({ method: 'GET', url: '/v1/users/me', remoteAddress: '10.4.0.2' })
        t.equal(response.statusCode, 401)
        t.equal(response.headers['ratelimit-policy'], '"default";q=10000;w=60', 'only the per-client policy')
      }
    })
  })

  t.test(`after ${MAX_FAILED_LOGINS} failed logins the account answers 429 from that client, even to the right password`, async (t) => {
    const email = uniqueEmail('limits')
    await register(app, email)
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) t.equal((await signIn(app, email, `wrong-${i}-password`)).statusCode, 401)
    const blocked = await signIn(app, email, PASSWORD)
    t.equal(blocked.statusCode, 429)
    t.ok(Number(blocked.headers['retry-after']) > 0)
    t.match(blocked.headers['content-type'], PROBLEM_JSON)
    t.equal((await signIn(app, email, PASSWORD, '10.0.0.7')).statusCode, 200, 'the owner elsewhere is not locked out')
    const other = uniqueEmail('limits')
    await register(app, other)
    t.equal((await signIn(app, other, PASSWORD)).statusCode, 200, 'other accounts from the same client still sign in')
  })

  t.test('failed logins for an unknown email are limited the same way', async (t) => {
    const email = uniqueEmail('limits')
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) t.equal((await signIn(app, email, 'whatever-password')).statusCode, 401)
    t.equal((await signIn(app, email, 'whatever-password')).statusCode, 429)
  })

  t.test('a successful login clears the failed-login count', async (t) => {
    const email = uniqueEmail('limits')
    await register(app, email)
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) t.equal((await signIn(app, email, 'wrong-password')).statusCode, 401)
    t.equal((await signIn(app, email, PASSWORD)).statusCode, 200)
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) t.equal((await signIn(app, email, 'wrong-password')).statusCode, 401)
    t.equal((await signIn(app, email, PASSWORD)).statusCode, 200, 'the count restarted after the success')
  })

  /** How many answers had each status: { 401: 5, 429: 15 }. */
  function tally (statuses: number[]): Record<number, number> {
    const counts: Record<number, number> = {}
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
    return counts
  }

  t.test(`a burst of 20 concurrent wrong passwords gets at most ${MAX_FAILED_LOGINS} checks; the rest answer 429, and so does the right password after`, async (t) => {
    const email = uniqueEmail('limits')
    await register(app, email)
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) => signIn(app, email, `wrong-${i}-password`)))
    const counts = tally(burst.map((response) => response.statusCode))
    t.ok((counts[401] ?? 0) <= MAX_FAILED_LOGINS, `at most ${MAX_FAILED_LOGINS} checked (${JSON.stringify(counts)})`)
    t.equal((counts[401] ?? 0) + (counts[429] ?? 0), 20, 'every other answer is 429, none 5xx')
    for (const response of burst.filter((r) => r.statusCode === 429)) {
      t.ok(Number(response.headers['retry-after']) > 0)
      t.match(response.headers['content-type'], PROBLEM_JSON)
    }
    t.equal((await signIn(app, email, PASSWORD)).statusCode, 429, 'the lock holds against the right password')
  })

  t.test('9 wrong passwords and the right one at once: the right one succeeds only if it was admitted, and never more than the limit are checked', async (t) => {
    for (const rightAt of [0, 9, 4]) {
      const email = uniqueEmail('limits')
      await register(app, email)
      const passwords = Array.from({ length: 10 }, (_, i) => i === rightAt ? PASSWORD : `wrong-${i}-password`)
      const statuses = (await Promise.all(passwords.map(async (password) => signIn(app, email, password)))).map((r) => r.statusCode)
      const checked = statuses.filter((status) => status === 401 || status === 200).length
      t.ok(checked <= MAX_FAILED_LOGINS, `at most ${MAX_FAILED_LOGINS} passwords checked (${statuses.join(' ')})`)
      t.ok(statuses[rightAt] === 200 || statuses[rightAt] === 429, 'the right password: signed in if admitted, else 429')
      t.same(statuses.filter((status, i) => i !== rightAt && status !== 401 && status !== 429), [], 'wrong ones: 401 or 429 only')
    }
  })

  t.test(`currentPassword of a password change shares the lock: ${MAX_FAILED_LOGINS} wrong answers, then 429 even to the right one`, async (t) => {
    const { email, headers } = await registerAndLogin(app, { prefix: 'limits', name: 'Limits' })
    const change = async (currentPassword: string) => app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword } })
    // The reported case: twelve wrong answers in a row, then the right one.
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await change(`wrong-${i}-password`)).statusCode)
    t.same(statuses, [...Array<number>(MAX_FAILED_LOGINS).fill(403), ...Array<number>(12 - MAX_FAILED_LOGINS).fill(429)])
    const right = await change(PASSWORD)
    t.equal(right.statusCode, 429)
    t.ok(Number(right.headers['retry-after']) > 0)
    t.equal(right.json().type, problemType('too-many-login-attempts'))
    t.equal((await signIn(app, email, PASSWORD)).statusCode, 429, 'sign-in from the same client is locked too')
    t.equal((await signIn(app, email, PASSWORD, '10.0.0.9')).statusCode, 200, 'the password did not change; elsewhere it still signs in')
  })

  t.test(`a burst of 20 concurrent wrong currentPasswords gets at most ${MAX_FAILED_LOGINS} checks`, async (t) => {
    const { headers } = await registerAndLogin(app, { prefix: 'limits', name: 'Limits' })
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword: `wrong-${i}-password` } })))
    const counts = tally(burst.map((response) => response.statusCode))
    t.ok((counts[403] ?? 0) <= MAX_FAILED_LOGINS, `at most ${MAX_FAILED_LOGINS} checked (${JSON.stringify(counts)})`)
    t.equal((counts[403] ?? 0) + (counts[429] ?? 0), 20)
    const right = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword: PASSWORD } })
    t.equal(right.statusCode, 429)
  })

  t.test('a right currentPassword clears the count, like a sign-in', async (t) => {
    const { email, headers } = await registerAndLogin(app, { prefix: 'limits', name: 'Limits' })
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) t.equal((await signIn(app, email, 'wrong-password')).statusCode, 401)
    const changed = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword: PASSWORD } })
    t.equal(changed.statusCode, 200)
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) t.equal((await signIn(app, email, 'wrong-password')).statusCode, 401)
    t.equal((await signIn(app, email, 'a brand new passphrase')).statusCode, 200)
  })

  t.test('cache counters count up and start over once their window expired', async (t) => {
    // Counting uses a window no stall can outlast; only the expiry check uses a one-second one.
    const counted = `test-counter-${Date.now()}`
    t.equal(await app.cache.incr(counted, 60), 1)
    t.equal(await app.cache.incr(counted, 60), 2)
    t.equal(await app.cache.incr(counted, 60), 3)
    const expiring = `test-expiring-${Date.now()}`
    t.equal(await app.cache.incr(expiring, 1), 1)
    // Redis expires with one-second resolution; wait past the window instead of asserting on time.
    await sleep(2100)
    t.equal(await app.cache.incr(expiring, 1), 1, 'a new window starts from one')
    t.equal(await app.cache.incr(counted, 60), 4, 'the long window still counts')
  })
}

await runAlone(import.meta.url, authLimitsTests)
