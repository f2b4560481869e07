import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../schemas/user.js'

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
