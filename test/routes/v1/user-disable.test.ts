/**
 * An admin disabling an account (PATCH /v1/users/{id} with `disabled`) takes effect at once (issue 12 §4): the
 * account's access tokens answer 401 token-revoked, its refresh tokens and sign-in are refused, and sign-in answers
 * exactly like a wrong password. Enabling it again lets it sign in. On embedded and real back ends alike.
 */
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, usingPostgres, usingRedis } from '../../helper.js'
import { createTestUser, loginTokens, registerAndLogin, type SignedInUser, TEST_PASSWORD } from '../../support/users.js'
import { problemType, uniqueEmail } from '../../support/fixtures.js'
import { insertRefreshToken } from '../../../src/auth/refresh-token-repository.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD

interface Problem { type: string, title: string, status: number, detail: string }
interface Account { id: string, disabled: boolean, role: string }

async function signUp (app: FastifyInstance): Promise<SignedInUser> {
  return registerAndLogin(app, { prefix: 'dis', name: 'Dis' })
}

async function signIn (app: FastifyInstance, email: string) {
  return loginTokens(app, email)
}

async function login (app: FastifyInstance, email: string, password = PASSWORD): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
}

const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })

async function me (app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(accessToken) })
}

async function setDisabled (app: FastifyInstance, headers: { authorization: string }, userId: string, disabled: boolean): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'PATCH', url: `/v1/users/${userId}`, headers, payload: { disabled } })
}

function assertRevoked (t: Test, response: LightMyRequestResponse, what: string): void {
  t.equal(response.statusCode, 401, `${what}: 401`)
  t.equal(response.json<Problem>().type, problemType('token-revoked'), `${what}: token-revoked`)
}

/** The parts of a problem that do not depend on the request (instance, request id and trace id do). */
function problemShape (response: LightMyRequestResponse): Problem & { statusCode: number } {
  const { type, title, status, detail } = response.json<Problem>()
  return { statusCode: response.statusCode, type, title, status, detail }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function userDisableTests (t: Test): Promise<void> {
  // One app for the file: every test disables or signs in accounts of its own (the sign-in lock is per account).
  const { app } = await buildTestApp(t)

  t.test('disabling ends the account at once: access token, refresh, sign-in; the list shows it; enabling lets it sign in again', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { email, tokens } = await signUp(app)
    t.equal(tokens.user.disabled, false, 'a new account is enabled')
    t.equal((await me(app, tokens.accessToken)).statusCode, 200, 'control: accepted before')

    const disable = await setDisabled(app, admin.headers, tokens.user.id, true)
    t.equal(disable.statusCode, 200)
    t.has(disable.json<Account>(), { id: tokens.user.id, disabled: true, role: 'customer' }, 'the answer shows it disabled')

    assertRevoked(t, await me(app, tokens.accessToken), 'the access token issued before')
    const orders = await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(tokens.accessToken) })
    t.equal(orders.statusCode, 401, 'on other signed-in routes too')

    const refreshed = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })
    t.equal(refreshed.statusCode, 401, 'its refresh token is refused')

    const refused = await login(app, email)
    const wrongPassword = await login(app, email, 'not the password at all')
    const unknownEmail = await login(app, uniqueEmail('nobody'))
    t.equal(refused.statusCode, 401, 'sign-in with the right password is refused')
    t.same(problemShape(refused), problemShape(unknownEmail), 'exactly like a wrong password of an enabled account')
    t.same(problemShape(wrongPassword), problemShape(unknownEmail), 'and like a wrong password of the disabled one')

    const list = await app.inject({ method: 'GET', url: '/v1/users?limit=100', headers: admin.headers })
    t.equal(list.statusCode, 200)
    const listed = list.json<{ data: Account[] }>().data
    t.has(listed.find((user) => user.id === tokens.user.id), { disabled: true }, 'GET /v1/users shows it disabled')
    t.has(listed.find((user) => user.id === admin.id), { disabled: false }, 'and others enabled')

    const again = await setDisabled(app, admin.headers, tokens.user.id, true)
    t.equal(again.statusCode, 200, 'disabling twice is fine')

    const enable = await setDisabled(app, admin.headers, tokens.user.id, false)
    t.equal(enable.statusCode, 200)
    t.equal(enable.json<Account>().disabled, false, 'the answer shows it enabled')
    const fresh = await signIn(app, email)
    t.equal(fresh.user.disabled, false)
    t.equal((await me(app, fresh.accessToken)).statusCode, 200, 'a sign-in after enabling works')
    assertRevoked(t, await me(app, tokens.accessToken), 'the tokens from before the disabling stay dead')
    const oldRefresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })
    t.equal(oldRefresh.statusCode, 401, 'and so does the refresh token from before')
  })

  t.test('the right password of a disabled account counts as a failed attempt: the sign-in lock does not tell it apart', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { email, tokens } = await signUp(app)
    await setDisabled(app, admin.headers, tokens.user.id, true)
    // Five checks per account and client (docs/api.md): four wrong, then the right one, then one more.
    for (let i = 0; i < 4; i++) t.equal((await login(app, email, `wrong password number ${i}`)).statusCode, 401)
    t.equal((await login(app, email)).statusCode, 401, 'the right password: 401')
    const next = await login(app, email)
    t.equal(next.statusCode, 429, 'the right password did not clear the count, as a success would')
    t.equal(next.json<Problem>().type, problemType('too-many-login-attempts'))
  })

  t.test('role and disabled in one request; an empty body is refused', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { tokens } = await signUp(app)
    const both = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'admin', disabled: true } })
    t.equal(both.statusCode, 200)
    t.has(both.json<Account>(), { id: tokens.user.id, role: 'admin', disabled: true })
    const empty = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: {} })
    t.equal(empty.statusCode, 400, 'at least one of role and disabled')
    const unknown = await setDisabled(app, admin.headers, '00000000-0000-4000-8000-000000000000', true)
    t.equal(unknown.statusCode, 404)
  })

  t.test('enabling revokes nothing', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { tokens } = await signUp(app)
    t.equal((await setDisabled(app, admin.headers, tokens.user.id, false)).statusCode, 200)
    t.equal((await me(app, tokens.accessToken)).statusCode, 200, 'an enabled account keeps its sessions')
  })

  t.test('an admin cannot disable their own account: 403 own-account-disable, account and session kept', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const response = await setDisabled(app, admin.headers, admin.id, true)
    t.equal(response.statusCode, 403)
    t.equal(response.json<Problem>().type, problemType('own-account-disable'))
    const self = await me(app, admin.token)
    t.equal(self.statusCode, 200, 'the session is kept')
    t.equal(self.json<Account>().disabled, false, 'the account is not disabled')
  })

  t.test('a customer cannot disable anyone', async (t) => {
    const customer = await createTestUser(app, 'customer')
    const { tokens } = await signUp(app)
    const response = await setDisabled(app, customer.headers, tokens.user.id, true)
    t.equal(response.statusCode, 403)
    t.equal((await me(app, tokens.accessToken)).statusCode, 200, 'the target keeps its session')
  })

  t.test('registering with a disabled account\'s email is still email-taken', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { email, tokens } = await signUp(app)
    await setDisabled(app, admin.headers, tokens.user.id, true)
    const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Again' } })
    t.equal(response.statusCode, 409)
    t.equal(response.json<Problem>().type, problemType('email-taken'))
  })

  t.test('a session cannot start for a disabled account (a sign-in racing the disabling)', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { tokens } = await signUp(app)
    await setDisabled(app, admin.headers, tokens.user.id, true)
    // What a sign-in that checked the account just before the disabling committed would do next.
    const inserted = await insertRefreshToken(app.db, {
      familyId: '00000000-0000-4000-8000-00000000d15a', userId: tokens.user.id, tokenHash: `race-${process.pid}-${Date.now()}`, ttlSeconds: 60
    })
    t.equal(inserted, false, 'no refresh token is written')
    const { rows } = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [tokens.user.id])
    t.equal(rows[0]?.n, 0, 'the account has no live session')
  })

  t.test('two replicas on one PostgreSQL and one Redis: disabling through one holds at once on the other', {
    skip: usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL (two instances, one database, one Redis)'
  }, async (t) => {
    // The file's app is replica A; B is a second instance on the same database and Redis, which is the point.
    const replicaA = app
    const { app: replicaB } = await buildTestApp(t)
    const admin = await createTestUser(replicaA, 'admin')
    const { tokens } = await signUp(replicaA)
    t.equal((await me(replicaB, tokens.accessToken)).statusCode, 200, 'B accepted (and cached) the token first')
    t.equal((await setDisabled(replicaA, admin.headers, tokens.user.id, true)).statusCode, 200)
    assertRevoked(t, await me(replicaB, tokens.accessToken), 'B after disabling through A')
  })
}

await runAlone(import.meta.url, userDisableTests)
