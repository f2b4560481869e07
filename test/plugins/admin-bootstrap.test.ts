import type { Test } from 'tap'
import { buildTestApp, usingPostgres } from '../helper.js'
import { testPgliteDir } from '../support/backends.js'
import { runAlone } from '../support/test-file.js'

const ADMIN_PASSWORD = 'bootstrap-admin-password-1'

function adminEmail (label: string): string {
  return `${label}-${process.pid}-${Date.now()}@example.test`
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function adminBootstrapTests (t: Test): Promise<void> {
  /**
   * Both boots must see one database: PGlite shares a data dir; PostgreSQL shares this file's database. The
   * restart tests below use one dir between them (each has its own admin email), copied once for the file.
   */
  let sharedDir: string | undefined
  async function sharedDatabase (): Promise<string | undefined> {
    if (usingPostgres) return undefined
    sharedDir ??= await testPgliteDir(t)
    return sharedDir
  }

  t.test('boot creates the bootstrap admin once across two boots, and it can sign in', async (t) => {
    const pgliteDir = await sharedDatabase()
    const email = adminEmail('Admin')
    const env = { ADMIN_EMAIL: email, ADMIN_PASSWORD }
    for (const boot of [1, 2]) {
      await t.test(`boot ${boot}`, async (t) => {
        const { app } = await buildTestApp(t, { env, ...(pgliteDir === undefined ? {} : { pgliteDir }) })
        const { rows } = await app.db.query<{ role: string, n: number }>(
          'SELECT role, count(*) OVER ()::int AS n FROM users WHERE lower(email) = lower($1)', [email]
        )
        t.equal(rows.length, 1)
        t.equal(rows[0]?.role, 'admin')
        const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: ADMIN_PASSWORD } })
        t.equal(login.statusCode, 200)
        t.equal(login.json().user.role, 'admin')
        t.equal(login.json().user.email, email.toLowerCase(), 'stored lower-cased')
      })
    }
  })

  t.test('boot keeps a password the bootstrap admin changed since', async (t) => {
    const pgliteDir = await sharedDatabase()
    const email = adminEmail('rotated')
    const env = { ADMIN_EMAIL: email, ADMIN_PASSWORD }
    const changed = 'changed-by-the-admin-later'
    await t.test('boot 1: the admin changes the password', async (t) => {
      const { app } = await buildTestApp(t, { env, ...(pgliteDir === undefined ? {} : { pgliteDir }) })
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: ADMIN_PASSWORD } })
      const response = await app.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        headers: { authorization: `Bearer ${String(login.json().accessToken)}` },
        payload: { password: changed, currentPassword: ADMIN_PASSWORD }
      })
      t.equal(response.statusCode, 200)
    })
    await t.test('boot 2: the changed password still works', async (t) => {
      const { app } = await buildTestApp(t, { env, ...(pgliteDir === undefined ? {} : { pgliteDir }) })
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: changed } })).statusCode, 200)
    })
  })

  t.test('a customer who registered the admin email first is promoted only with ADMIN_PASSWORD', async (t) => {
    const pgliteDir = await sharedDatabase()
    const email = adminEmail('squatter')
    const squatterPassword = 'squatter-password-123'
    let squatterRefreshToken = ''
    await t.test('boot 1: someone registers the address', async (t) => {
      const { app } = await buildTestApp(t, pgliteDir === undefined ? {} : { pgliteDir })
      await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: squatterPassword, name: 'Squatter' } })
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: squatterPassword } })
      squatterRefreshToken = login.json().refreshToken
    })
    await t.test('boot 2 with ADMIN_EMAIL: promoted, old password and sessions dead', async (t) => {
      const { app } = await buildTestApp(t, { env: { ADMIN_EMAIL: email, ADMIN_PASSWORD }, ...(pgliteDir === undefined ? {} : { pgliteDir }) })
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: squatterPassword } })).statusCode, 401)
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: squatterRefreshToken } })).statusCode, 401)
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: ADMIN_PASSWORD } })
      t.equal(login.statusCode, 200)
      t.equal(login.json().user.role, 'admin')
      const { rows } = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email])
      t.equal(rows[0]?.n, 1)
    })
  })

  t.test('without ADMIN_EMAIL boot touches no account', async (t) => {
    const { app, logText } = await buildTestApp(t, { captureLogs: true })
    t.notMatch(logText(), /bootstrap admin/)
    t.equal(app.config.admin, undefined)
  })
}

await runAlone(import.meta.url, adminBootstrapTests)
