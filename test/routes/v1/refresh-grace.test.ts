/**
 * REFRESH_REUSE_GRACE_SECONDS: two tabs refreshing the same token at once both get the same successor instead of
 * revoking the family; presenting it again after the window (or with the window at 0) still revokes the family.
 */
import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { PROBLEM_JSON } from '../../support/fixtures.js'
import { registerAndLogin, type SessionTokens } from '../../support/users.js'
import { runAlone } from '../../support/test-file.js'

type Tokens = SessionTokens

async function signedIn (app: FastifyInstance): Promise<Tokens> {
  return (await registerAndLogin(app, { prefix: 'grace', name: 'Tab' })).tokens
}

async function refresh (app: FastifyInstance, refreshToken: string) {
  return app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })
}

async function me (app: FastifyInstance, accessToken: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: `Bearer ${accessToken}` } })).statusCode
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function refreshGraceTests (t: Test): Promise<void> {
  // The default window: one app for the tests that use it (each on a session of its own). The tests of other
  // windows build their own, since the window is a setting of the app.
  const { app, config } = await buildTestApp(t)

  t.test('by default, two concurrent refreshes of one token both succeed with the same successor', async (t) => {
    t.equal(config.jwt.refreshReuseGraceSeconds, 10, 'default window')
    const tokens = await signedIn(app)
    const [first, second] = await Promise.all([refresh(app, tokens.refreshToken), refresh(app, tokens.refreshToken)])
    t.equal(first?.statusCode, 200)
    t.equal(second?.statusCode, 200)
    const a = first?.json<Tokens>()
    const b = second?.json<Tokens>()
    t.equal(a?.refreshToken, b?.refreshToken, 'the same successor')
    t.not(a?.refreshToken, tokens.refreshToken)
    t.equal(await me(app, a?.accessToken ?? ''), 200, 'both access tokens work')
    t.equal(await me(app, b?.accessToken ?? ''), 200)
    const { rows } = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1', [tokens.user.id])
    t.equal(rows[0]?.n, 2, 'one rotation happened: the login token and one successor')
    const next = await refresh(app, a?.refreshToken ?? '')
    t.equal(next.statusCode, 200, 'the family still works: the successor rotates once')
    t.equal(await me(app, next.json<Tokens>().accessToken), 200)
  })

  t.test('within the window, a rotated token presented again after its successor was used revokes the family', async (t) => {
    const tokens = await signedIn(app)
    const successor = (await refresh(app, tokens.refreshToken)).json<Tokens>()
    const third = (await refresh(app, successor.refreshToken)).json<Tokens>()
    t.equal((await refresh(app, tokens.refreshToken)).statusCode, 401, 'two generations back is reuse, not a second tab')
    t.equal((await refresh(app, third.refreshToken)).statusCode, 401, 'the family is revoked')
  })

  t.test('after the window, a rotated token presented again revokes the family', async (t) => {
    // A one-second window, so the test can outwait it: an app of its own.
    const { app: short } = await buildTestApp(t, { env: { REFRESH_REUSE_GRACE_SECONDS: '1' } })
    const tokens = await signedIn(short)
    const successor = (await refresh(short, tokens.refreshToken)).json<Tokens>()
    await sleep(1500)
    const late = await refresh(short, tokens.refreshToken)
    t.equal(late.statusCode, 401)
    t.match(late.headers['content-type'], PROBLEM_JSON)
    t.equal((await refresh(short, successor.refreshToken)).statusCode, 401, 'the successor is revoked with its family')
    t.equal(await me(short, successor.accessToken), 401, 'and so is its access token')
  })

  t.test('with the window at 0, reuse revokes at once, as before', async (t) => {
    // No window at all: an app of its own.
    const { app: graceless } = await buildTestApp(t, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } })
    const tokens = await signedIn(graceless)
    const responses = await Promise.all([refresh(graceless, tokens.refreshToken), refresh(graceless, tokens.refreshToken)])
    t.same(responses.map((response) => response.statusCode).sort(), [200, 401])
    const winner = responses.find((response) => response.statusCode === 200)?.json<Tokens>()
    t.equal((await refresh(graceless, winner?.refreshToken ?? '')).statusCode, 401, 'the family is revoked')
  })

  t.test('within the window, a logged-out family stays revoked', async (t) => {
    const tokens = await signedIn(app)
    const successor = (await refresh(app, tokens.refreshToken)).json<Tokens>()
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: successor.refreshToken } })).statusCode, 204)
    t.equal((await refresh(app, tokens.refreshToken)).statusCode, 401)
  })

  t.test('REFRESH_REUSE_GRACE_SECONDS accepts 0 to 300 only', async (t) => {
    const { loadConfig } = await import('../../../src/config.js')
    t.equal(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '0' }).jwt.refreshReuseGraceSeconds, 0)
    for (const bad of ['-1', '301', 'ten']) {
      t.throws(() => loadConfig({ REFRESH_REUSE_GRACE_SECONDS: bad }), /REFRESH_REUSE_GRACE_SECONDS/, bad)
    }
  })
}

await runAlone(import.meta.url, refreshGraceTests)
