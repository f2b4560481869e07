/**
 * New passwords follow NIST SP 800-63B (src/auth/password-policy.ts): at sign-up and at password change, never at
 * sign-in. Each refusal is a 400 weak-password problem naming its rule.
 */
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { hashPassword } from '../../../src/auth/passwords.js'
import { PROBLEM_JSON, problemType, uniqueEmail } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = 'correct horse battery staple'
const ZWSP = '\u200B'

/** [label, password, rule]: every one passes the schema's 8–128 characters, so only the policy refuses it. */
const REFUSED: Array<[string, string, string]> = [
  ['eight spaces', ' '.repeat(8), 'blank'],
  ['eight zero-width spaces', ZWSP.repeat(8), 'blank'],
  ['tabs, no-break spaces, byte-order marks', '\t\u00A0\uFEFF\u2060\u3000\t\u00A0\uFEFF', 'blank'],
  ['seven letters and a zero-width space', `abcdefg${ZWSP}`, 'min-length'],
  ['seven letters padded with spaces', '   abcdefg   ', 'min-length'],
  ['seven letters, one with a combining accent (seven after NFKC)', 'cafe\u0301xyz', 'min-length'],
  ['12345678', '12345678', 'common'],
  ['password', 'password', 'common'],
  ['Password1 (case does not help)', 'Password1', 'common'],
  ['fullwidth ｐａｓｓｗｏｒｄ (NFKC makes it "password")', 'ｐａｓｓｗｏｒｄ', 'common'],
  ['password with zero-width joiners inside', `pass${ZWSP}word\u200D`, 'common'],
  ['qwertyuiop with spaces around', '  qwertyuiop  ', 'common'],
  // Deep in the maintained list, far past any short hand-written one: the list really is the package's.
  ['watchout (entry ~15 000 of the maintained list)', 'watchout', 'common'],
  ['a date (entry ~3 000 of the maintained list)', '15101991', 'common']
]

const ACCEPTED = [
  PASSWORD,
  'ｃｏｒｒｅｃｔ ｈｏｒｓｅ', // fullwidth, 13 code points after NFKC
  'пароль надёжный',
  'ʻŌlelo Hawaiʻi 🌺🌺',
  'a b c d e' // spaces inside count: nine characters
]

async function register (app: FastifyInstance, password: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: uniqueEmail('policy'), password, name: 'Policy' } })
}

function assertWeak (t: Test, response: LightMyRequestResponse, rule: string, label: string): void {
  t.equal(response.statusCode, 400, label)
  t.match(response.headers['content-type'], PROBLEM_JSON, label)
  const body = response.json<{ type: string, detail: string, rule: string, errors: Array<{ field: string }> }>()
  t.equal(body.type, problemType('weak-password'), label)
  t.equal(body.rule, rule, label)
  t.match(body.detail, { blank: /visible characters/, 'min-length': /at least 8 characters/, common: /most commonly used/ }[rule] ?? /./, label)
  t.same(body.errors.map((error) => error.field), ['/body/password'], label)
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function passwordPolicyTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)

  t.test('sign-up refuses each weak password with 400 weak-password naming the rule, and creates no account', async (t) => {
    for (const [label, password, rule] of REFUSED) {
      const email = uniqueEmail('policy')
      assertWeak(t, await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Weak' } }), rule, label)
      const { rows } = await app.db.query('SELECT 1 FROM users WHERE email = $1', [email])
      t.equal(rows.length, 0, `${label}: no account`)
    }
  })

  t.test('sign-up accepts long, unusual or non-Latin passwords, and each signs in as typed', async (t) => {
    for (const [index, password] of ACCEPTED.entries()) {
      const email = uniqueEmail('policy')
      const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Strong' } })
      t.equal(response.statusCode, 201, JSON.stringify(password))
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress: `10.3.0.${index % 250}` })
      t.equal(login.statusCode, 200, JSON.stringify(password))
    }
  })

  t.test('password change refuses each weak new password with 400, before currentPassword is checked, and keeps the old one', async (t) => {
    const email = uniqueEmail('policy')
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Changer' } })).statusCode, 201)
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })
    const headers = { authorization: `Bearer ${String(login.json().accessToken)}` }
    for (const [label, password, rule] of REFUSED) {
      assertWeak(t, await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password, currentPassword: PASSWORD } }), rule, label)
      // Even with a wrong currentPassword the answer is the policy's: no argon2, no attempt counted.
      assertWeak(t, await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password, currentPassword: 'not mine at all' } }), rule, `${label}, wrong current`)
    }
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })).statusCode, 200, 'old password still works, not locked')
    const strong = await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ', currentPassword: PASSWORD } })
    t.equal(strong.statusCode, 200, 'a password meeting the policy is accepted')
  })

  t.test('sign-in does not apply the policy: an account made before it still signs in with its weak password', async (t) => {
    const email = uniqueEmail('policy')
    await app.db.query('INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)', [email, 'Old', 'customer', await hashPassword('12345678')])
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: '12345678' } })).statusCode, 200)
  })

  t.test('the schema\'s own limits still answer first (validation problem), e.g. 7 characters', async (t) => {
    const response = await register(app, 'abcdefg')
    t.equal(response.statusCode, 400)
    t.equal(response.json<{ type: string }>().type, problemType('validation'))
  })
}

await runAlone(import.meta.url, passwordPolicyTests)
