import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import jwt from 'jsonwebtoken'
import { buildTestApp, TEST_JWT_SECRET } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function authTests (t: Test): Promise<void> {
  // One app for the file; a non-default token lifetime, so the lifetime test can tell the setting was read.
  const { app, config } = await buildTestApp(t, { env: { ACCESS_TOKEN_TTL: '5m' } })

  const OTHER_SECRET = 'another-secret-that-is-also-long-enough-98765'

  function base64url (value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString('base64url')
  }

  t.test('bearer tokens: only an untampered, unexpired token of this issuer and audience is accepted', async (t) => {
    const user = await createTestUser(app)
    const { issuer, audience } = config.jwt
    const claims = { sub: user.id, role: 'customer', jti: randomUUID(), sid: user.sessionId }
    // The typ the server requires (plugins/auth.ts), so each forgery below fails for its own flaw alone.
    const typed = { typ: 'at+jwt' }
    const valid = { algorithm: 'HS256', header: { alg: 'HS256', ...typed }, issuer, audience, expiresIn: 60 } as const
    const [header = '', payload = '', signature = ''] = user.token.split('.')
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    const now = Math.floor(Date.now() / 1000)

    const positive = await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers })
    t.equal(positive.statusCode, 200, 'control: a token the app issued is accepted')
    t.equal((await app.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: `Bearer ${jwt.sign(claims, TEST_JWT_SECRET, valid)}` } })).statusCode, 200,
      'control: a token signed the same way by another library is accepted')

    const forged: Record<string, string> = {
      'signed with another secret': jwt.sign(claims, OTHER_SECRET, valid),
      'alg none': `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'alg none without signature dot': `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}`,
      'payload changed to admin': `${header}.${base64url({ ...decoded, role: 'admin' })}.${signature}`,
      'payload changed to another user': `${header}.${base64url({ ...decoded, sub: randomUUID() })}.${signature}`,
      'signed with HS512 and the right secret': jwt.sign(claims, TEST_JWT_SECRET, { ...valid, algorithm: 'HS512', header: { alg: 'HS512', ...typed } }),
      expired: jwt.sign({ ...claims, iat: now - 3600, exp: now - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256', header: valid.header, issuer, audience }),
      'wrong issuer': jwt.sign(claims, TEST_JWT_SECRET, { ...valid, issuer: 'someone-else' }),
      'wrong audience': jwt.sign(claims, TEST_JWT_SECRET, { ...valid, audience: 'another-api' }),
      'no jti': jwt.sign({ sub: user.id, role: 'customer' }, TEST_JWT_SECRET, valid),
      'unknown role': jwt.sign({ ...claims, role: 'root' }, TEST_JWT_SECRET, valid),
      'no sid (a session that cannot be revoked)': jwt.sign({ sub: user.id, role: 'customer', jti: randomUUID() }, TEST_JWT_SECRET, valid),
      'sid not a UUID': jwt.sign({ ...claims, sid: 'x' }, TEST_JWT_SECRET, valid),
      garbage: 'not.a.jwt',
      'not base64': '%%%'
    }
    for (const [label, token] of Object.entries(forged)) {
      const response = await app.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: `Bearer ${token}` } })
      t.equal(response.statusCode, 401, label)
      t.equal(response.headers['www-authenticate'], 'Bearer', label)
      t.match(response.headers['content-type'], /^application\/problem\+json/, label)
    }
  })

  t.test('a missing or malformed authorization header answers 401', async (t) => {
    const user = await createTestUser(app)
    for (const authorization of [undefined, 'Bearer', `bearer${user.token}`, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${user.token} extra`]) {
      const headers = authorization === undefined ? {} : { authorization }
      const response = await app.inject({ method: 'GET', url: '/v1/users/me', headers })
      t.equal(response.statusCode, 401, String(authorization))
      t.equal(response.headers['www-authenticate'], 'Bearer')
    }
  })

  t.test('an admin token forged by a customer cannot reach admin routes', async (t) => {
    const user = await createTestUser(app)
    const [header = '', payload = '', signature = ''] = user.token.split('.')
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    const forged = `${header}.${base64url({ ...decoded, role: 'admin' })}.${signature}`
    const response = await app.inject({ method: 'GET', url: '/v1/users', headers: { authorization: `Bearer ${forged}` } })
    t.equal(response.statusCode, 401)
  })

  t.test('issued access tokens carry sub, role, jti, iat, exp, iss, aud and the configured lifetime', async (t) => {
    const user = await createTestUser(app, 'admin')
    const claims = jwt.verify(user.token, TEST_JWT_SECRET, { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience }) as jwt.JwtPayload
    t.equal(claims.sub, user.id)
    t.equal(claims.role, 'admin')
    t.type(claims.jti, 'string')
    t.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300)
  })

  t.test('the OpenAPI document marks protected routes with bearer security and their 401/403', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' })
    t.equal(response.statusCode, 200)
    const paths = response.json().paths
    t.same(paths['/v1/users/me'].get.security, [{ bearerAuth: [] }])
    t.ok(paths['/v1/users/me'].get.responses['401'])
    t.ok(paths['/v1/users/'] !== undefined || paths['/v1/users'] !== undefined)
    const list = paths['/v1/users/'] ?? paths['/v1/users']
    t.ok(list.get.responses['403'])
    t.notOk(paths['/v1/auth/login'].post.security, 'login is public')
    t.equal(paths['/v1/auth/login'].post.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/Tokens')
    t.equal(paths['/v1/users/me'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/User')
  })
}

await runAlone(import.meta.url, authTests)
