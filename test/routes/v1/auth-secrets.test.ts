import type { Test } from 'tap'
import { buildTestApp } from '../../helper.js'
import { uniqueEmail } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = 'my-secret-Passw0rd-value'
const NEW_PASSWORD = 'my-new-secret-Passw0rd-value'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function authSecretsTests (t: Test): Promise<void> {
  t.test('no response body and no log line contains a password, a password hash or a refresh token', async (t) => {
    const { app, logText } = await buildTestApp(t, { captureLogs: true })
    const email = uniqueEmail('secrets')
    const bodies: string[] = []
    const send = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) })
      bodies.push(response.body)
      return response
    }

    t.equal((await send('POST', '/v1/auth/register', { email, password: PASSWORD, name: 'Secret' })).statusCode, 201)
    await send('POST', '/v1/auth/register', { email, password: PASSWORD, name: 'Secret' })
    await send('POST', '/v1/auth/register', { email: 'bad', password: PASSWORD, name: 'Secret', role: 'admin' })
    await send('POST', '/v1/auth/login', { email, password: `${PASSWORD}-wrong` })
    const login = await send('POST', '/v1/auth/login', { email, password: PASSWORD })
    t.equal(login.statusCode, 200)
    const { accessToken, refreshToken } = login.json<{ accessToken: string, refreshToken: string }>()
    const headers = { authorization: `Bearer ${accessToken}` }
    const refreshed = await send('POST', '/v1/auth/refresh', { refreshToken })
    t.equal(refreshed.statusCode, 200)
    await send('POST', '/v1/auth/refresh', { refreshToken })
    await send('GET', '/v1/users/me', undefined, headers)
    await send('PATCH', '/v1/users/me', { password: NEW_PASSWORD, currentPassword: `${PASSWORD}-wrong` }, headers)
    t.equal((await send('PATCH', '/v1/users/me', { password: NEW_PASSWORD, currentPassword: PASSWORD }, headers)).statusCode, 200)
    await send('PATCH', '/v1/users/me', { password: NEW_PASSWORD, currentPassword: PASSWORD, extra: PASSWORD }, headers)
    await send('POST', '/v1/auth/logout', { refreshToken })

    const { rows } = await app.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email])
    const hash = rows[0]?.password_hash ?? ''
    t.match(hash, /^\$argon2id\$/, 'control: the hash exists')
    const logs = logText()
    t.ok(logs.includes('request rejected'), 'control: the failures were logged')
    const secrets = { password: PASSWORD, 'new password': NEW_PASSWORD, 'password hash': hash, 'refresh token': refreshToken, 'access token': accessToken }
    for (const [label, secret] of Object.entries(secrets)) {
      t.notOk(logs.includes(secret), `no log line contains the ${label}`)
    }
    t.notMatch(logs, /\$argon2/, 'no argon2 hash of any kind in the logs')
    for (const body of bodies) {
      t.notOk(body.includes(PASSWORD) || body.includes(NEW_PASSWORD), 'no response contains a password')
      t.notMatch(body, /\$argon2|password_?hash/i, 'no response contains a password hash')
    }
  })
}

await runAlone(import.meta.url, authSecretsTests)
