/**
 * Access tokens stop working the moment their session or account state changes (docs/api.md, "Authentication and
 * tokens"): logout, password change, role change, reuse of a rotated refresh token. Across replicas too: two apps
 * built by the same builder on one PostgreSQL and one Redis.
 */
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, usingPostgres, usingRedis } from '../../helper.js'
import { createTestUser, loginTokens, registerAndLogin, type SessionTokens, type SignedInUser, TEST_PASSWORD } from '../../support/users.js'
import { PROBLEM_JSON, problemType } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD
const NEW_PASSWORD = 'another long and unusual passphrase'

type Tokens = SessionTokens

async function signUp (app: FastifyInstance): Promise<SignedInUser> {
  return registerAndLogin(app, { prefix: 'rev', name: 'Rev' })
}

async function signIn (app: FastifyInstance, email: string, password = PASSWORD): Promise<Tokens> {
  return loginTokens(app, email, password)
}

const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })

async function me (app: FastifyInstance, accessToken: string) {
  return app.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(accessToken) })
}

function assertRevoked (t: Test, response: Awaited<ReturnType<typeof me>>, what: string): void {
  t.equal(response.statusCode, 401, `${what}: 401`)
  t.match(response.headers['content-type'], PROBLEM_JSON)
  t.equal(response.json<{ type: string }>().type, problemType('token-revoked'), `${what}: its own problem type`)
  t.equal(response.headers['www-authenticate'], 'Bearer')
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function revocationTests (t: Test): Promise<void> {
  // One app for the file (and one below for a different refresh setting): every test signs up accounts of its own.
  const { app } = await buildTestApp(t)

  t.test('logout ends the access tokens of that session at once, and only of that session', async (t) => {
    const { email, tokens } = await signUp(app)
    const otherDevice = await signIn(app, email)
    t.equal((await me(app, tokens.accessToken)).statusCode, 200, 'control: accepted before logout')
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: tokens.refreshToken } })).statusCode, 204)
    assertRevoked(t, await me(app, tokens.accessToken), 'after logout')
    t.equal((await me(app, otherDevice.accessToken)).statusCode, 200, 'another sign-in of the same account keeps working')
  })

  t.test('logout with a rotated token also ends the access tokens issued before the rotation', async (t) => {
    const { tokens } = await signUp(app)
    const rotated = (await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })).json<Tokens>()
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: rotated.refreshToken } })).statusCode, 204)
    assertRevoked(t, await me(app, tokens.accessToken), 'first access token')
    assertRevoked(t, await me(app, rotated.accessToken), 'rotated access token')
  })

  t.test('a password change ends every access token of the account at once; new sign-ins work', async (t) => {
    const { email, tokens } = await signUp(app)
    const otherDevice = await signIn(app, email)
    const change = await app.inject({
      method: 'PATCH', url: '/v1/users/me', headers: bearer(tokens.accessToken), payload: { password: NEW_PASSWORD, currentPassword: PASSWORD }
    })
    t.equal(change.statusCode, 200)
    assertRevoked(t, await me(app, tokens.accessToken), 'the token that changed it')
    assertRevoked(t, await me(app, otherDevice.accessToken), 'another device')
    const fresh = await signIn(app, email, NEW_PASSWORD)
    t.equal((await me(app, fresh.accessToken)).statusCode, 200, 'a sign-in after the change is accepted')
  })

  t.test('a name change revokes nothing', async (t) => {
    const { tokens } = await signUp(app)
    const renamed = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers: bearer(tokens.accessToken), payload: { name: 'Renamed' } })
    t.equal(renamed.statusCode, 200)
    t.equal(renamed.json<{ name: string }>().name, 'Renamed')
    t.equal((await me(app, tokens.accessToken)).statusCode, 200)
  })

  t.test('a role change ends the target\'s access tokens at once, on every route; the same role again revokes nothing', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { email, tokens } = await signUp(app)
    const same = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'customer' } })
    t.equal(same.statusCode, 200)
    t.equal((await me(app, tokens.accessToken)).statusCode, 200, 'no change, no revocation')
    const promote = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'admin' } })
    t.equal(promote.statusCode, 200)
    assertRevoked(t, await me(app, tokens.accessToken), 'after the role change')
    const orders = await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(tokens.accessToken) })
    t.equal(orders.statusCode, 401, 'on other signed-in routes too')
    const fresh = await signIn(app, email)
    t.equal((await app.inject({ method: 'GET', url: '/v1/users', headers: bearer(fresh.accessToken) })).statusCode, 200, 'a new sign-in carries the new role')
  })

  // No grace window, so the reuse below revokes at once: a setting of the app, hence an app of its own.
  t.test('reuse of a rotated refresh token ends the access tokens of its family', async (t) => {
    const { app: graceless } = await buildTestApp(t, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } })
    const { tokens } = await signUp(graceless)
    const rotated = (await graceless.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })).json<Tokens>()
    const reuse = await graceless.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })
    t.equal(reuse.statusCode, 401)
    assertRevoked(t, await me(graceless, rotated.accessToken), 'the newest access token of the family')
  })

  t.test('an access token of a deleted account is refused on every signed-in route', async (t) => {
    const { tokens } = await signUp(app)
    // No API deletes accounts; a row removed by hand takes its sessions along (ON DELETE CASCADE).
    await app.db.query('DELETE FROM refresh_tokens WHERE user_id = $1', [tokens.user.id])
    await app.db.query('DELETE FROM users WHERE id = $1', [tokens.user.id])
    const response = await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(tokens.accessToken) })
    t.equal(response.statusCode, 401)
  })

  t.test('two replicas on one PostgreSQL and one Redis: a revocation through one holds at once on the other', {
    skip: usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL (two instances, one database, one Redis)'
  }, async (t) => {
    // The file's app is replica A; B is a second instance on the same database and Redis, which is the point.
    const replicaA = app
    const { app: replicaB } = await buildTestApp(t)

    t.test('logout', async (t) => {
      const { tokens } = await signUp(replicaA)
      t.equal((await me(replicaB, tokens.accessToken)).statusCode, 200, 'B accepted (and cached) the token first')
      t.equal((await replicaA.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: tokens.refreshToken } })).statusCode, 204)
      assertRevoked(t, await me(replicaB, tokens.accessToken), 'B after logout through A')
    })

    t.test('password change', async (t) => {
      const { tokens } = await signUp(replicaA)
      t.equal((await me(replicaB, tokens.accessToken)).statusCode, 200)
      t.equal((await replicaA.inject({ method: 'PATCH', url: '/v1/users/me', headers: bearer(tokens.accessToken), payload: { password: NEW_PASSWORD, currentPassword: PASSWORD } })).statusCode, 200)
      assertRevoked(t, await me(replicaB, tokens.accessToken), 'B after a password change through A')
    })

    t.test('role change', async (t) => {
      const admin = await createTestUser(replicaA, 'admin')
      const { tokens } = await signUp(replicaA)
      t.equal((await me(replicaB, tokens.accessToken)).statusCode, 200)
      t.equal((await replicaA.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'admin' } })).statusCode, 200)
      assertRevoked(t, await me(replicaB, tokens.accessToken), 'B after a role change through A')
    })
  })
}

await runAlone(import.meta.url, revocationTests)
