import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { createTestUser, loginTokens, registerAndLogin, TEST_PASSWORD } from '../../support/users.js'
import { PROBLEM_JSON, problemType } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD
const NEW_PASSWORD = 'tr0ub4dor & 3 more words'

/** A user who signed up through the API, so has a real password, plus a fresh login. */
async function signedUp (app: FastifyInstance) {
  return registerAndLogin(app, { prefix: 'grace', name: 'Grace' })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function usersTests (t: Test): Promise<void> {
  // One app for the whole file: every test works on users of its own (unique emails, fresh ids), and the sign-in
  // lock is keyed by account, so no test sees another's state.
  const { app } = await buildTestApp(t)

  t.test('GET /v1/users/me answers the caller\'s account', async (t) => {
    const user = await createTestUser(app)
    const response = await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.same(Object.keys(body).sort(), ['createdAt', 'disabled', 'email', 'id', 'name', 'role'])
    t.equal(body.id, user.id)
    t.equal(body.email, user.email)
    t.equal(body.role, 'customer')
  })

  t.test('GET /v1/users/me without a token answers 401 with www-authenticate', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/users/me' })
    t.equal(response.statusCode, 401)
    t.equal(response.headers['www-authenticate'], 'Bearer')
    t.match(response.headers['content-type'], PROBLEM_JSON)
  })

  t.test('GET /v1/users/me for a deleted account answers 401', async (t) => {
    const user = await createTestUser(app)
    await app.db.query('DELETE FROM users WHERE id = $1', [user.id])
    t.equal((await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers })).statusCode, 401)
  })

  t.test('PATCH /v1/users/me changes the name', async (t) => {
    const user = await createTestUser(app)
    const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers: user.headers, payload: { name: 'Renamed' } })
    t.equal(response.statusCode, 200)
    t.equal(response.json().name, 'Renamed')
    const me = await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers })
    t.equal(me.json().name, 'Renamed')
  })

  t.test('PATCH /v1/users/me with role or an unknown field answers 400 and changes nothing', async (t) => {
    const user = await createTestUser(app)
    for (const payload of [{ role: 'admin' }, { name: 'X', role: 'admin' }, { email: 'new@example.test' }, {}]) {
      const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers: user.headers, payload })
      t.equal(response.statusCode, 400, JSON.stringify(payload))
    }
    const me = await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers })
    t.equal(me.json().role, 'customer')
    t.equal(me.json().name, 'Test User')
  })

  t.test('PATCH /v1/users/me with invalid values answers 400', async (t) => {
    const { headers } = await signedUp(app)
    for (const payload of [{ name: '' }, { name: 'n'.repeat(101) }, { password: 'short', currentPassword: PASSWORD }]) {
      const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload })
      t.equal(response.statusCode, 400, JSON.stringify(payload))
    }
  })

  t.test('PATCH /v1/users/me with a new password but no currentPassword answers 400', async (t) => {
    const { headers } = await signedUp(app)
    const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: NEW_PASSWORD } })
    t.equal(response.statusCode, 400)
    const lone = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { currentPassword: PASSWORD } })
    t.equal(lone.statusCode, 400)
  })

  t.test('PATCH /v1/users/me with a wrong currentPassword answers 403 and keeps the old password', async (t) => {
    const { email, headers } = await signedUp(app)
    const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: NEW_PASSWORD, currentPassword: 'not my password' } })
    t.equal(response.statusCode, 403)
    t.match(response.headers['content-type'], PROBLEM_JSON)
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })
    t.equal(login.statusCode, 200)
  })

  t.test('password change: the new password signs in, the old does not, older refresh tokens are revoked', async (t) => {
    const { email, tokens, headers } = await signedUp(app)
    const otherDevice = (await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })).json<{ refreshToken: string }>()
    const response = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: NEW_PASSWORD, currentPassword: PASSWORD } })
    t.equal(response.statusCode, 200)
    t.equal(response.json().email, email)
    for (const refreshToken of [tokens.refreshToken, otherDevice.refreshToken]) {
      const refresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })
      t.equal(refresh.statusCode, 401)
    }
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: NEW_PASSWORD } })).statusCode, 200)
  })

  t.test('GET /v1/users lists accounts for an admin, paged', async (t) => {
    const admin = await createTestUser(app, 'admin')
    for (let i = 0; i < 3; i++) await createTestUser(app)
    const response = await app.inject({ method: 'GET', url: '/v1/users?page=1&limit=2', headers: admin.headers })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.equal(body.data.length, 2)
    t.equal(body.pagination.page, 1)
    t.equal(body.pagination.limit, 2)
    t.ok(body.pagination.total >= 4)
    t.equal(body.pagination.pages, Math.ceil(body.pagination.total / 2))
    t.same(Object.keys(body.data[0]).sort(), ['createdAt', 'disabled', 'email', 'id', 'name', 'role'])
    const defaults = (await app.inject({ method: 'GET', url: '/v1/users', headers: admin.headers })).json()
    t.same({ page: defaults.pagination.page, limit: defaults.pagination.limit }, { page: 1, limit: 20 })
  })

  t.test('GET /v1/users with out-of-range paging answers 400', async (t) => {
    const admin = await createTestUser(app, 'admin')
    for (const query of ['page=0', 'limit=0', 'limit=101', 'page=x', 'sort=name']) {
      const response = await app.inject({ method: 'GET', url: `/v1/users?${query}`, headers: admin.headers })
      t.equal(response.statusCode, 400, query)
    }
  })

  t.test('a customer on every admin route answers 403', async (t) => {
    const customer = await createTestUser(app)
    const list = await app.inject({ method: 'GET', url: '/v1/users', headers: customer.headers })
    t.equal(list.statusCode, 403)
    const promote = await app.inject({ method: 'PATCH', url: `/v1/users/${customer.id}`, headers: customer.headers, payload: { role: 'admin' } })
    t.equal(promote.statusCode, 403)
    const me = await app.inject({ method: 'GET', url: '/v1/users/me', headers: customer.headers })
    t.equal(me.json().role, 'customer', 'the customer did not promote themself')
  })

  t.test('admin routes without a token answer 401', async (t) => {
    t.equal((await app.inject({ method: 'GET', url: '/v1/users' })).statusCode, 401)
    t.equal((await app.inject({ method: 'PATCH', url: `/v1/users/${crypto.randomUUID()}`, payload: { role: 'admin' } })).statusCode, 401)
  })

  t.test('PATCH /v1/users/:id lets an admin change a role', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const { email, tokens } = await signedUp(app)
    const response = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'admin' } })
    t.equal(response.statusCode, 200)
    t.equal(response.json().role, 'admin')
    t.equal(response.json().email, email)
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })
    t.equal(login.json().user.role, 'admin', 'new tokens carry the new role')
    const asNewAdmin = await app.inject({ method: 'GET', url: '/v1/users', headers: { authorization: `Bearer ${String(login.json().accessToken)}` } })
    t.equal(asNewAdmin.statusCode, 200)
  })

  t.test('PATCH /v1/users/:id answers 404 for an unknown id and 400 for a bad id or body', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const unknown = await app.inject({ method: 'PATCH', url: `/v1/users/${crypto.randomUUID()}`, headers: admin.headers, payload: { role: 'admin' } })
    t.equal(unknown.statusCode, 404)
    t.match(unknown.headers['content-type'], PROBLEM_JSON)
    const badId = await app.inject({ method: 'PATCH', url: '/v1/users/not-a-uuid', headers: admin.headers, payload: { role: 'admin' } })
    t.equal(badId.statusCode, 400)
    for (const payload of [{ role: 'superuser' }, {}, { role: 'admin', name: 'x' }]) {
      const response = await app.inject({ method: 'PATCH', url: `/v1/users/${admin.id}`, headers: admin.headers, payload })
      t.equal(response.statusCode, 400, JSON.stringify(payload))
    }
  })

  /** A signed-up account promoted in the database, then signed in again: an admin with a real session. */
  async function signedUpAdmin (app: FastifyInstance) {
    const { email, tokens } = await signedUp(app)
    await app.db.query("UPDATE users SET role = 'admin' WHERE id = $1", [tokens.user.id])
    const admin = await loginTokens(app, email, PASSWORD)
    if (admin.user.role !== 'admin') throw new Error('promotion did not take')
    return { id: admin.user.id, email, refreshToken: admin.refreshToken, headers: { authorization: `Bearer ${admin.accessToken}` } }
  }

  function roleClaim (accessToken: string): unknown {
    const payload = accessToken.split('.')[1] ?? ''
    return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { role?: unknown }).role
  }

  t.test('a demoted admin\'s still-valid token is refused on every admin route: no self re-promotion', async (t) => {
    const a = await signedUpAdmin(app)
    const b = await signedUpAdmin(app)
    const victim = await createTestUser(app)
    const demote = await app.inject({ method: 'PATCH', url: `/v1/users/${a.id}`, headers: b.headers, payload: { role: 'customer' } })
    t.equal(demote.statusCode, 200)
    t.equal(demote.json().role, 'customer')

    // The demotion ended a's sessions: its token is refused before any role is read (401 token-revoked).
    const refused = (response: { statusCode: number, headers: Record<string, unknown>, json: () => { type: string } }, label: string) => {
      t.equal(response.statusCode, 401, label)
      t.match(response.headers['content-type'], PROBLEM_JSON)
      t.equal(response.json().type, problemType('token-revoked'))
    }
    for (const target of [a.id, victim.id, b.id]) {
      for (const role of ['admin', 'customer']) {
        refused(await app.inject({ method: 'PATCH', url: `/v1/users/${target}`, headers: a.headers, payload: { role } }), `${target === a.id ? 'self' : 'other'} → ${role}`)
      }
    }
    refused(await app.inject({ method: 'GET', url: '/v1/users', headers: a.headers }), 'listing accounts too')
    const product = { sku: 'DEMOTED-1', name: 'Demoted', priceCents: 100, stock: 1 }
    refused(await app.inject({ method: 'POST', url: '/v1/products', headers: a.headers, payload: product }), 'product admin too')

    const { rows } = await app.db.query<{ id: string, role: string }>('SELECT id, role FROM users WHERE id = ANY($1::uuid[])', [[a.id, b.id, victim.id]])
    t.same(Object.fromEntries(rows.map((row) => [row.id, row.role])), { [a.id]: 'customer', [b.id]: 'admin', [victim.id]: 'customer' })
    t.equal((await app.inject({ method: 'GET', url: '/v1/users', headers: b.headers })).statusCode, 200, 'the admin who stayed one still can')
  })

  t.test('a demotion written to the database behind the API\'s back still gets 403 on admin routes (the role is re-read)', async (t) => {
    const a = await signedUpAdmin(app)
    await app.db.query("UPDATE users SET role = 'customer' WHERE id = $1", [a.id])
    const response = await app.inject({ method: 'GET', url: '/v1/users', headers: a.headers })
    t.equal(response.statusCode, 403)
    t.equal(response.json().type, problemType('forbidden'))
  })

  t.test('a role change ends the target\'s sessions; the next sign-in carries the new role', async (t) => {
    const a = await signedUpAdmin(app)
    const b = await signedUpAdmin(app)
    t.equal((await app.inject({ method: 'PATCH', url: `/v1/users/${a.id}`, headers: b.headers, payload: { role: 'customer' } })).statusCode, 200)
    const refresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: a.refreshToken } })
    t.equal(refresh.statusCode, 401, 'the refresh token opened as an admin is revoked')
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: a.email, password: PASSWORD } })
    t.equal(login.statusCode, 200)
    t.equal(roleClaim(login.json<{ accessToken: string }>().accessToken), 'customer')
  })

  t.test('setting the role an account already has changes nothing and keeps its sessions', async (t) => {
    const admin = await signedUpAdmin(app)
    const { tokens } = await signedUp(app)
    const same = await app.inject({ method: 'PATCH', url: `/v1/users/${tokens.user.id}`, headers: admin.headers, payload: { role: 'customer' } })
    t.equal(same.statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: tokens.refreshToken } })).statusCode, 200)
  })

  t.test('refresh reads the role from the database: a token minted after a demotion says customer', async (t) => {
    const a = await signedUpAdmin(app)
    // Straight in the database, so the sessions survive and only refresh's own reading of the role is tested.
    await app.db.query("UPDATE users SET role = 'customer' WHERE id = $1", [a.id])
    const refresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: a.refreshToken } })
    t.equal(refresh.statusCode, 200)
    const body = refresh.json<{ accessToken: string, user: { role: string } }>()
    t.equal(roleClaim(body.accessToken), 'customer')
    t.equal(body.user.role, 'customer')
  })

  t.test('an admin cannot change their own role: 403 own-role-change, role and sessions kept', async (t) => {
    const admin = await signedUpAdmin(app)
    for (const role of ['customer', 'admin']) {
      const response = await app.inject({ method: 'PATCH', url: `/v1/users/${admin.id}`, headers: admin.headers, payload: { role } })
      t.equal(response.statusCode, 403, role)
      t.match(response.headers['content-type'], PROBLEM_JSON)
      t.equal(response.json().type, problemType('own-role-change'))
      t.equal(response.json().detail, 'An admin cannot change their own role; ask another admin')
    }
    t.equal((await app.inject({ method: 'GET', url: '/v1/users', headers: admin.headers })).statusCode, 200, 'still an admin')
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: admin.refreshToken } })).statusCode, 200)
  })

  t.test('an admin token whose account was deleted answers 401 on admin routes', async (t) => {
    const admin = await createTestUser(app, 'admin')
    await app.db.query('DELETE FROM users WHERE id = $1', [admin.id])
    t.equal((await app.inject({ method: 'GET', url: '/v1/users', headers: admin.headers })).statusCode, 401)
  })
}

await runAlone(import.meta.url, usersTests)
