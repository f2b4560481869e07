import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../schemas/user.js'
import { uniqueEmail } from './fixtures.js'

export interface TestUser {
  id: string
  email: string
  role: Role
  token: string
  /** The session (refresh-token family) the token belongs to; revoking it ends the token. */
  sessionId: string
  /** `{ authorization: 'Bearer …' }`, ready for app.inject. */
  headers: { authorization: string }
}

/**
 * A user row written straight to the database plus a valid access token, for tests of routes that
 * need a signed-in caller. The password hash is a placeholder: such a user cannot log in with a password.
 * The token's session is a refresh-token family of one random token nobody holds, so the token is live.
 */
export async function createTestUser (app: FastifyInstance, role: Role = 'customer'): Promise<TestUser> {
  const email = `user-${randomUUID()}@example.test`
  const { rows } = await app.db.query<{ id: string }>(
    'INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id',
    [email, 'Test User', role, 'not-a-password-hash']
  )
  const id = rows[0]?.id
  if (id === undefined) throw new Error('user insert returned no id')
  const sessionId = randomUUID()
  await app.db.query(
    "INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')",
    [sessionId, id, randomBytes(32).toString('hex')]
  )
  const { token } = app.issueAccessToken({ id, role, sessionId })
  return { id, email, role, token, sessionId, headers: { authorization: `Bearer ${token}` } }
}

/** The answer of POST /v1/auth/login (and /refresh): what the tests read of it. */
export interface SessionTokens {
  accessToken: string
  refreshToken: string
  tokenType: string
  expiresIn: number
  user: { id: string, email: string, name: string, role: Role, disabled: boolean }
}

export interface SignedInUser {
  email: string
  password: string
  tokens: SessionTokens
  /** `{ authorization: 'Bearer …' }` of the login's access token, ready for app.inject. */
  headers: { authorization: string }
}

/** The password registerAndLogin uses unless told otherwise (meets the password policy). */
export const TEST_PASSWORD = 'correct horse battery staple'

/**
 * A user who signed up through the API (so has a real argon2 password) and signed in once: the one shared
 * register-then-login helper. The email is unique to this call; fails loudly if either step does not succeed.
 */
export async function registerAndLogin (
  app: FastifyInstance, options: { password?: string, prefix?: string, name?: string, remoteAddress?: string } = {}
): Promise<SignedInUser> {
  const { password = TEST_PASSWORD, prefix = 'user', name = 'Test User' } = options
  const email = uniqueEmail(prefix)
  const created = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name } })
  if (created.statusCode !== 201) throw new Error(`register answered ${created.statusCode}: ${created.body}`)
  const tokens = await loginTokens(app, email, password, options.remoteAddress)
  return { email, password, tokens, headers: { authorization: `Bearer ${tokens.accessToken}` } }
}

/** Signs `email` in through the API; fails loudly unless that answered 200. */
export async function loginTokens (app: FastifyInstance, email: string, password = TEST_PASSWORD, remoteAddress?: string): Promise<SessionTokens> {
  const response = await app.inject({
    method: 'POST', url: '/v1/auth/login', payload: { email, password }, ...(remoteAddress === undefined ? {} : { remoteAddress })
  })
  if (response.statusCode !== 200) throw new Error(`login answered ${response.statusCode}: ${response.body}`)
  return response.json<SessionTokens>()
}
