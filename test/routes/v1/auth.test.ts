import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { PROBLEM_JSON, problemType, uniqueEmail } from '../../support/fixtures.js'
import { registerAndLogin, TEST_PASSWORD } from '../../support/users.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD

async function register (app: FastifyInstance, email = uniqueEmail('ada'), password = PASSWORD) {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Ada' } })
  return { response, email, password }
}

async function signIn (app: FastifyInstance, email: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
}

async function registeredAndSignedIn (app: FastifyInstance) {
  return registerAndLogin(app, { prefix: 'ada', name: 'Ada' })
}

async function refresh (app: FastifyInstance, refreshToken: string) {
  return app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function authTests (t: Test): Promise<void> {
  // One app for the file (plus one below for a different refresh setting): every test registers its own accounts.
  const { app, config } = await buildTestApp(t)

  t.test('register answers 201 with the user, a customer, email lower-cased', async (t) => {
    const email = uniqueEmail('ada').replace('ada', 'Ada.MIXED')
    const { response } = await register(app, email)
    t.equal(response.statusCode, 201)
    const body = response.json()
    t.same(Object.keys(body).sort(), ['createdAt', 'disabled', 'email', 'id', 'name', 'role'])
    t.equal(body.email, email.toLowerCase())
    t.equal(body.role, 'customer')
    t.equal(body.name, 'Ada')
    t.match(body.id, /^[0-9a-f-]{36}$/)
    t.ok(!Number.isNaN(Date.parse(body.createdAt)))
  })

  t.test('register with an email taken in another case answers 409', async (t) => {
    const { email } = await register(app)
    const { response } = await register(app, email.toUpperCase())
    t.equal(response.statusCode, 409)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    t.equal(response.json().type, problemType('email-taken'))
  })

  t.test('register rejects invalid input with 400 and field errors', async (t) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['bad email', { email: 'not-an-email', password: PASSWORD, name: 'Ada' }, '/body/email'],
      ['short password', { email: uniqueEmail('ada'), password: 'short', name: 'Ada' }, '/body/password'],
      ['long password', { email: uniqueEmail('ada'), password: 'x'.repeat(129), name: 'Ada' }, '/body/password'],
      ['empty name', { email: uniqueEmail('ada'), password: PASSWORD, name: '' }, '/body/name'],
      ['long name', { email: uniqueEmail('ada'), password: PASSWORD, name: 'n'.repeat(101) }, '/body/name'],
      ['missing name', { email: uniqueEmail('ada'), password: PASSWORD }, '/body/name'],
      ['email over 254 chars', { email: `${'a'.repeat(250)}@example.test`, password: PASSWORD, name: 'Ada' }, '/body/email']
    ]
    for (const [label, payload, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload })
      t.equal(response.statusCode, 400, label)
      t.equal(response.json().errors?.[0]?.field, field, label)
    }
  })

  t.test('register with role or an unknown field answers 400 and creates nothing', async (t) => {
    for (const extra of [{ role: 'admin' }, { isAdmin: true }]) {
      const email = uniqueEmail('ada')
      const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Mallory', ...extra } })
      t.equal(response.statusCode, 400)
      t.equal(response.json().errors?.[0]?.field, `/body/${Object.keys(extra)[0] ?? ''}`)
      t.equal((await signIn(app, email)).statusCode, 401, 'no account was created')
    }
  })

  t.test('login answers 200 with tokens and the user', async (t) => {
    const { email } = await register(app)
    const response = await signIn(app, email.toUpperCase())
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.same(Object.keys(body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'])
    t.equal(body.tokenType, 'Bearer')
    t.equal(body.expiresIn, config.jwt.accessTokenTtlSeconds)
    t.equal(body.user.email, email)
    t.match(body.refreshToken, /^[A-Za-z0-9_-]{43,}$/, 'at least 256 bits, base64url')
    const me = await app.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: `Bearer ${String(body.accessToken)}` } })
    t.equal(me.statusCode, 200)
    t.equal(me.json().email, email)
  })

  t.test('login failure is the same 401 for a wrong password and an unknown email', async (t) => {
    const { email } = await register(app)
    const wrongPassword = await signIn(app, email, 'wrong password!')
    const unknownEmail = await signIn(app, uniqueEmail('ada'), 'wrong password!')
    for (const response of [wrongPassword, unknownEmail]) {
      t.equal(response.statusCode, 401)
      t.equal(response.headers['www-authenticate'], 'Bearer')
    }
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined })
    t.same(strip(wrongPassword.json()), strip(unknownEmail.json()))
  })

  t.test('login rejects invalid input with 400', async (t) => {
    for (const payload of [{}, { email: 'x', password: PASSWORD }, { email: uniqueEmail('ada') }, { email: uniqueEmail('ada'), password: PASSWORD, extra: 1 }]) {
      const response = await app.inject({ method: 'POST', url: '/v1/auth/login', payload })
      t.equal(response.statusCode, 400, JSON.stringify(payload))
    }
  })

  t.test('refresh returns new tokens and the presented token is used up', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    const first = await refresh(app, tokens.refreshToken)
    t.equal(first.statusCode, 200)
    const next = first.json()
    t.not(next.refreshToken, tokens.refreshToken)
    t.equal(next.user.id, tokens.user.id)
    t.equal(next.tokenType, 'Bearer')
    t.equal((await refresh(app, next.refreshToken)).statusCode, 200, 'the new token works once')
  })

  t.test('refresh with an unknown token answers 401', async (t) => {
    const response = await refresh(app, 'A'.repeat(43))
    t.equal(response.statusCode, 401)
  })

  t.test('refresh with an expired token answers 401', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    await app.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [tokens.user.id])
    t.equal((await refresh(app, tokens.refreshToken)).statusCode, 401)
  })

  t.test('refresh and logout reject a missing or unknown-field body with 400', async (t) => {
    for (const url of ['/v1/auth/refresh', '/v1/auth/logout']) {
      for (const payload of [{}, { refreshToken: '' }, { refreshToken: 'x', extra: true }]) {
        const response = await app.inject({ method: 'POST', url, payload })
        t.equal(response.statusCode, 400, `${url} ${JSON.stringify(payload)}`)
      }
    }
  })

  t.test('logout answers 204 and the token no longer refreshes', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    const logout = await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: tokens.refreshToken } })
    t.equal(logout.statusCode, 204)
    t.equal(logout.body, '')
    t.equal((await refresh(app, tokens.refreshToken)).statusCode, 401)
  })

  t.test('logout with a rotated-out token ends the whole session', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    const rotated = (await refresh(app, tokens.refreshToken)).json<{ refreshToken: string }>()
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: rotated.refreshToken } })).statusCode, 204)
    t.equal((await refresh(app, rotated.refreshToken)).statusCode, 401)
  })

  t.test('logout twice and logout with an unknown token both answer 204', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    for (const refreshToken of [tokens.refreshToken, tokens.refreshToken, 'never-issued-token']) {
      const response = await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken } })
      t.equal(response.statusCode, 204)
    }
  })

  t.test('refresh tokens are stored only as SHA-256 hashes', async (t) => {
    const { tokens } = await registeredAndSignedIn(app)
    const { rows } = await app.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [tokens.user.id])
    t.equal(rows.length, 1)
    t.not(rows[0]?.token_hash, tokens.refreshToken)
    t.match(rows[0]?.token_hash, /^[0-9a-f]{64}$/)
  })

  t.test('passwords are stored as argon2id hashes with OWASP parameters', async (t) => {
    const { email } = await register(app)
    const { rows } = await app.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email])
    const hash = rows[0]?.password_hash ?? ''
    t.match(hash, /^\$argon2id\$v=19\$/)
    const parameters = Object.fromEntries((hash.split('$')[3] ?? '').split(',').map((pair) => pair.split('=')))
    t.same(parameters, { m: '19456', t: '2', p: '1' })
  })

  // No grace window: every reuse revokes (test/routes/v1/refresh-grace.test.ts covers the window). A setting of the
  // app, so these share an app of their own.
  t.test('with REFRESH_REUSE_GRACE_SECONDS=0', async (t) => {
    const { app: graceless } = await buildTestApp(t, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } })

    t.test('a reused refresh token answers 401 and revokes the newest token of its family', async (t) => {
      const { tokens } = await registeredAndSignedIn(graceless)
      const rotated = (await refresh(graceless, tokens.refreshToken)).json<{ refreshToken: string }>()
      const reuse = await refresh(graceless, tokens.refreshToken)
      t.equal(reuse.statusCode, 401)
      t.match(reuse.headers['content-type'], PROBLEM_JSON)
      t.equal((await refresh(graceless, rotated.refreshToken)).statusCode, 401, 'newest token of the family is revoked')
    })

    t.test('reuse in one family leaves another login of the same user working', async (t) => {
      const { email, tokens } = await registeredAndSignedIn(graceless)
      const otherDevice = (await signIn(graceless, email)).json<{ refreshToken: string }>()
      await refresh(graceless, tokens.refreshToken)
      await refresh(graceless, tokens.refreshToken)
      t.equal((await refresh(graceless, otherDevice.refreshToken)).statusCode, 200)
    })

    t.test('two concurrent refreshes of one token with REFRESH_REUSE_GRACE_SECONDS=0: exactly one answers 200', async (t) => {
      const { tokens } = await registeredAndSignedIn(graceless)
      const responses = await Promise.all([refresh(graceless, tokens.refreshToken), refresh(graceless, tokens.refreshToken)])
      const statuses = responses.map((response) => response.statusCode).sort()
      t.same(statuses, [200, 401])
      const { rows } = await graceless.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1', [tokens.user.id])
      t.equal(rows[0]?.n, 2, 'one rotation happened: the login token and exactly one successor')
    })
  })
}

await runAlone(import.meta.url, authTests)
