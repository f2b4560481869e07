/**
 * Forged and broken access tokens against a protected route (RFC 8725, JWT Best Current Practices).
 * Every token here is built by hand (base64url JSON + node:crypto), never by the server's own signer,
 * except the baselines that prove the hand-built tokens are otherwise well-formed.
 */
import { createHmac, createSign, generateKeyPairSync, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, TEST_JWT_SECRET } from '../helper.js'
import { IAT_CLOCK_SKEW_SECONDS } from '../../plugins/auth.js'
import { createTestUser } from '../support/users.js'
import { runAlone } from '../support/test-file.js'

const PROTECTED = '/v1/users/me'

type Claims = Record<string, unknown>

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function hmac (algorithm: 'sha256' | 'sha512', key: string, input: string): string {
  return createHmac(algorithm, key).update(input).digest('base64url')
}

/** header.payload.signature with an HMAC over the first two parts. */
function signed (header: Claims, claims: Claims, key: string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  const input = `${encode(header)}.${encode(claims)}`
  return `${input}.${hmac(algorithm, key, input)}`
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function jwtAttacksTests (t: Test): Promise<void> {
  const { app, config } = await buildTestApp(t)
  const user = await createTestUser(app, 'customer')
  const now = Math.floor(Date.now() / 1000)
  /** The header the server writes: access tokens are explicitly typed (RFC 9068 §2.1). */
  const HS256 = { alg: 'HS256', typ: 'at+jwt' }
  /** Exactly the claims the server issues (sub, role, jti, sid, iat, exp, iss, aud). */
  const claims: Claims = {
    sub: user.id,
    role: 'customer',
    jti: randomUUID(),
    sid: user.sessionId,
    iat: now,
    exp: now + 600,
    iss: config.jwt.issuer,
    aud: config.jwt.audience
  }
  const valid = signed(HS256, claims, TEST_JWT_SECRET)
  const [validHeader = '', validPayload = '', validSignature = ''] = valid.split('.')

  async function call (token: string): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'GET', url: PROTECTED, headers: { authorization: `Bearer ${token}` } })
  }

  /** The one answer every rejected token gets: 401 problem+json with a Bearer challenge, never a 5xx. */
  async function assertRejected (t: Test, token: string): Promise<void> {
    const response = await call(token)
    t.equal(response.statusCode, 401)
    t.equal(response.headers['www-authenticate'], 'Bearer')
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    const body = response.json<{ status: number, type: string }>()
    t.equal(body.status, 401)
    t.match(body.type, /\/problems\/unauthorized$/)
  }

  t.test('baseline: a token the server issued is accepted', async (t) => {
    const response = await call(user.token)
    t.equal(response.statusCode, 200)
    t.equal(response.json<{ id: string }>().id, user.id)
  })

  t.test('baseline: a hand-built HS256 token with the right key and claims is accepted (so the forgeries below fail for their flaw alone)', async (t) => {
    const response = await call(valid)
    t.equal(response.statusCode, 200)
    t.equal(response.json<{ id: string }>().id, user.id)
  })

  t.test('the server\'s own tokens carry typ "at+jwt" in their header', async (t) => {
    const [header = ''] = user.token.split('.')
    t.same(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'HS256', typ: 'at+jwt' })
  })

  t.test('the long form "application/at+jwt" of the type is accepted (RFC 7515 §4.1.9 lets the prefix be omitted or not)', async (t) => {
    for (const typ of ['application/at+jwt', 'AT+JWT']) {
      t.equal((await call(signed({ alg: 'HS256', typ }, claims, TEST_JWT_SECRET))).statusCode, 200, typ)
    }
  })

  t.test('a correctly signed token with a wrong or missing typ is rejected (RFC 8725 §3.11: no cross-JWT confusion)', async (t) => {
    for (const typ of ['JWT', 'jwt', 'JOSE', 'dpop+jwt', 'secevent+jwt', 'application/jwt', '', 42, null]) {
      await assertRejected(t, signed({ alg: 'HS256', typ }, claims, TEST_JWT_SECRET))
    }
    await assertRejected(t, signed({ alg: 'HS256' }, claims, TEST_JWT_SECRET))
  })

  t.test('a correctly signed token issued in the future (beyond the clock-skew allowance) is rejected', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, iat: now + IAT_CLOCK_SKEW_SECONDS + 60 }, TEST_JWT_SECRET))
    await assertRejected(t, signed(HS256, { ...claims, iat: now + 3600, exp: now + 7200 }, TEST_JWT_SECRET))
    await assertRejected(t, signed(HS256, { ...claims, iat: String(now) }, TEST_JWT_SECRET))
    const skewed = await call(signed(HS256, { ...claims, iat: now + 5 }, TEST_JWT_SECRET))
    t.equal(skewed.statusCode, 200, 'a few seconds ahead (another replica\'s clock) is tolerated')
  })

  t.test('alg "none" with an empty signature is rejected', async (t) => {
    await assertRejected(t, `${encode({ alg: 'none', typ: 'JWT' })}.${validPayload}.`)
  })

  t.test('alg "None" and "NONE" (case variants) are rejected', async (t) => {
    for (const alg of ['None', 'NONE', 'nOnE']) await assertRejected(t, `${encode({ alg, typ: 'JWT' })}.${validPayload}.`)
  })

  t.test('alg "none" with the original signature left on is rejected', async (t) => {
    await assertRejected(t, `${encode({ alg: 'none', typ: 'JWT' })}.${validPayload}.${validSignature}`)
  })

  t.test('HS256 signed with a wrong key is rejected', async (t) => {
    await assertRejected(t, signed(HS256, claims, 'an-attacker-guess-that-is-long-enough-0123'))
  })

  t.test('HS256 signed with an empty key is rejected', async (t) => {
    await assertRejected(t, signed(HS256, claims, ''))
  })

  t.test('a truncated signature is rejected', async (t) => {
    await assertRejected(t, `${validHeader}.${validPayload}.${validSignature.slice(0, -4)}`)
    await assertRejected(t, `${validHeader}.${validPayload}.${validSignature.slice(0, 10)}`)
  })

  t.test('a token without its signature part is rejected', async (t) => {
    await assertRejected(t, `${validHeader}.${validPayload}.`)
    await assertRejected(t, `${validHeader}.${validPayload}`)
  })

  t.test('an edited payload (role raised to admin) under the original signature is rejected', async (t) => {
    await assertRejected(t, `${validHeader}.${encode({ ...claims, role: 'admin' })}.${validSignature}`)
  })

  t.test('an edited payload (another user\'s id) under the original signature is rejected', async (t) => {
    await assertRejected(t, `${validHeader}.${encode({ ...claims, sub: randomUUID() })}.${validSignature}`)
  })

  t.test('an expired token is rejected even with the right key', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, iat: now - 3600, exp: now - 60 }, TEST_JWT_SECRET))
  })

  t.test('a token whose nbf is in the future is rejected even with the right key', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, nbf: now + 3600 }, TEST_JWT_SECRET))
  })

  t.test('a token without exp is rejected even with the right key (no eternal tokens)', async (t) => {
    const { exp: _exp, ...withoutExp } = claims
    await assertRejected(t, signed(HS256, withoutExp, TEST_JWT_SECRET))
  })

  t.test('a wrong or missing iss is rejected even with the right key', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, iss: 'https://evil.example' }, TEST_JWT_SECRET))
    const { iss: _iss, ...withoutIss } = claims
    await assertRejected(t, signed(HS256, withoutIss, TEST_JWT_SECRET))
  })

  t.test('a wrong or missing aud is rejected even with the right key (no cross-service token reuse)', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, aud: 'another-service' }, TEST_JWT_SECRET))
    await assertRejected(t, signed(HS256, { ...claims, aud: ['another-service'] }, TEST_JWT_SECRET))
    const { aud: _aud, ...withoutAud } = claims
    await assertRejected(t, signed(HS256, withoutAud, TEST_JWT_SECRET))
  })

  t.test('a token without sub, role, jti or sid is rejected even with the right key', async (t) => {
    for (const claim of ['sub', 'role', 'jti', 'sid']) {
      const { [claim]: _dropped, ...rest } = claims
      await assertRejected(t, signed(HS256, rest, TEST_JWT_SECRET))
    }
  })

  t.test('a role the service does not know is rejected even with the right key', async (t) => {
    await assertRejected(t, signed(HS256, { ...claims, role: 'superuser' }, TEST_JWT_SECRET))
  })

  t.test('a refresh token (opaque string) presented as an access token is rejected', async (t) => {
    const email = `jwt-${randomUUID()}@example.test`
    const password = 'correct horse battery staple'
    const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Refresh' } })
    t.equal(registered.statusCode, 201)
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
    t.equal(login.statusCode, 200)
    const { refreshToken, accessToken } = login.json<{ refreshToken: string, accessToken: string }>()
    t.equal((await call(accessToken)).statusCode, 200, 'the access token of the same login works')
    await assertRejected(t, refreshToken)
  })

  t.test('a kid header pointing at a file or carrying SQL, signed with the key that would yield, is rejected', async (t) => {
    // Classic kid attacks: /dev/null (empty key), and an injected lookup that returns an attacker-chosen key.
    await assertRejected(t, signed({ ...HS256, kid: '../../../../../../dev/null' }, claims, ''))
    await assertRejected(t, signed({ ...HS256, kid: "x' UNION SELECT 'attacker-key' --" }, claims, 'attacker-key'))
    await assertRejected(t, signed({ ...HS256, kid: 'https://evil.example/jwks.json' }, claims, 'attacker-key'))
  })

  t.test('an RS256 token signed with an attacker\'s RSA key (optionally embedded as jwk) is rejected', async (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    for (const header of [{ alg: 'RS256', typ: 'JWT' }, { alg: 'RS256', typ: 'JWT', jwk: publicKey.export({ format: 'jwk' }) }]) {
      const input = `${encode(header)}.${encode(claims)}`
      const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')
      await assertRejected(t, `${input}.${signature}`)
    }
  })

  t.test('an RS256 header over an HMAC made with the server secret (algorithm confusion) is rejected', async (t) => {
    await assertRejected(t, signed({ alg: 'RS256', typ: 'JWT' }, claims, TEST_JWT_SECRET))
  })

  t.test('HS512 is rejected even with the right key: the algorithm is pinned to HS256', async (t) => {
    await assertRejected(t, signed({ alg: 'HS512', typ: 'JWT' }, claims, TEST_JWT_SECRET, 'sha512'))
  })

  t.test('claims of the wrong shape are rejected even with the right key (sub must be a user id)', async (t) => {
    for (const sub of [{ $ne: null }, 'not-a-uuid', "' OR 1=1 --", 42]) await assertRejected(t, signed(HS256, { ...claims, sub }, TEST_JWT_SECRET))
  })

  t.test('structurally broken tokens are rejected, never a 5xx', async (t) => {
    const broken = [
      'a.b.c',
      `${encode('just a string')}.${validPayload}.${validSignature}`,
      `${validHeader}.${encode([1, 2, 3])}.${validSignature}`,
      `${validHeader}.${Buffer.from('not json').toString('base64url')}.${validSignature}`,
      `${validHeader}.${validPayload}.${validSignature}.extra`,
      signed(HS256, { ...claims, exp: 'tomorrow' }, TEST_JWT_SECRET),
      'A'.repeat(8000)
    ]
    for (const token of broken) await assertRejected(t, token)
  })
}

await runAlone(import.meta.url, jwtAttacksTests)
