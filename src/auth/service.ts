import { randomUUID } from 'node:crypto'
import type { Static } from '@sinclair/typebox'
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Queryable } from '../database/types.js'
import type { Cache } from '../cache/types.js'
import type { Role } from '../../schemas/user.js'
import type { Tokens } from '../../schemas/auth.js'
import type { User } from '../../schemas/user.js'
import { UnauthorizedError } from '../errors.js'
import { findUserById, findUserWithHashByEmail } from '../users/repository.js'
import { toUser } from '../users/to-user.js'
import { assertPasswordHashCapacity, DUMMY_PASSWORD_HASH, verifyPassword } from './passwords.js'
import { hashRefreshToken, newRefreshToken, successorRefreshToken } from './opaque-token.js'
import * as refreshTokens from './refresh-token-repository.js'
import { admitPasswordAttempt, clearPasswordAttempts } from './login-throttle.js'
import { forgetSessions } from './sessions.js'
import { AUTH_SCHEME } from '../../schemas/auth.js'

export interface AuthDeps {
  db: Database
  cache: Cache
  log: FastifyBaseLogger
  config: {
    jwt: { secret: string, refreshTokenTtlSeconds: number, refreshReuseGraceSeconds: number }
    passwordHashQueueMax: number
    cacheTtlSeconds: number
  }
  issueAccessToken: (user: { id: string, role: Role, sessionId: string }) => { token: string, expiresIn: number }
}

type TokensBody = Omit<Static<typeof Tokens>, 'user'> & { user: User }

const LOGIN_FAILED = 'Email or password is wrong'
const REFRESH_FAILED = 'Refresh token is invalid, expired or already used'

/**
 * Email + password → tokens. An unknown email and a wrong password give the same 401 and the same
 * work (one argon2 verification), so neither the body nor the timing tells which accounts exist.
 */
export async function login (deps: AuthDeps, input: { email: string, password: string, ip: string }): Promise<TokensBody> {
  // Shed before counting: an attempt refused for load checked nothing and must not bring the lock closer.
  assertPasswordHashCapacity(deps.config.passwordHashQueueMax)
  await admitPasswordAttempt(deps.cache, input.email, input.ip)
  const account = await findUserWithHashByEmail(deps.db, input.email)
  const hash = account?.password_hash ?? DUMMY_PASSWORD_HASH
  const valid = await verifyPassword(hash, input.password, deps.config.passwordHashQueueMax)
  // A disabled account gets the very answer of a wrong password, after the same work: a distinct answer would
  // tell whoever tries a password that it was right (and that the account exists), which is worth more to an
  // attacker than a clearer message is to its owner, who learns of the disabling from the shop, not the API.
  if (account === undefined || !valid || account.disabled) throw new UnauthorizedError(LOGIN_FAILED)
  await clearPasswordAttempts(deps.cache, input.email, input.ip)
  const user = toUser(account)
  const session = await startFamily(deps, deps.db, user.id)
  // Disabled between the check above and the insert: refused like any disabled account.
  if (session === undefined) throw new UnauthorizedError(LOGIN_FAILED)
  return tokensFor(deps, user, session.token, session.familyId)
}

/**
 * Rotation: the presented token is consumed and the next one of its family issued, in one transaction.
 * A token presented again after it was consumed means two parties hold it (one of them a thief), and we
 * cannot tell which: the whole family is revoked so the newest token stops working too (OAuth 2.0 Security
 * BCP, RFC 9700 §4.14.2) — with one exception, two tabs of one client refreshing at once: within
 * REFRESH_REUSE_GRACE_SECONDS of the rotation, while the successor is still unused, the same successor is
 * answered again (it is derived from the presented token, src/auth/opaque-token.ts). A thief replaying within
 * that window gets it too; that is the price of the window, which is why it is short and can be 0.
 */
export async function refresh (deps: AuthDeps, presented: string): Promise<TokensBody> {
  const tokenHash = hashRefreshToken(presented)
  const next = successorRefreshToken(presented, deps.config.jwt.secret)
  const outcome = await deps.db.transaction(async (tx) => {
    const consumed = await refreshTokens.consumeRefreshToken(tx, tokenHash)
    if (consumed === undefined) return undefined
    const account = await findUserById(tx, consumed.user_id)
    // Disabling revokes every family, so a disabled account's token is normally refused by the consume above.
    if (account === undefined || account.disabled) return undefined
    const inserted = await refreshTokens.insertRefreshToken(tx, { familyId: consumed.family_id, userId: account.id, tokenHash: hashRefreshToken(next), ttlSeconds: deps.config.jwt.refreshTokenTtlSeconds })
    if (!inserted) return undefined
    return { user: toUser(account), familyId: consumed.family_id }
  })
  if (outcome !== undefined) return tokensFor(deps, outcome.user, next, outcome.familyId)

  const grace = deps.config.jwt.refreshReuseGraceSeconds
  const stored = await refreshTokens.findRefreshToken(deps.db, tokenHash, grace)
  if (stored?.consumed === true) {
    const again = grace > 0 && stored.within_grace ? await sameSuccessor(deps, next, stored.family_id) : undefined
    if (again !== undefined) return again
    await refreshTokens.revokeFamily(deps.db, stored.family_id)
    await forgetSessions(deps, [stored.family_id])
    deps.log.warn({ familyId: stored.family_id }, 'consumed refresh token presented again; family revoked')
  }
  throw new UnauthorizedError(REFRESH_FAILED)
}

/** The successor the concurrent rotation issued, if it is still unused and its family live; else undefined. */
async function sameSuccessor (deps: AuthDeps, successor: string, familyId: string): Promise<TokensBody | undefined> {
  const usable = await refreshTokens.findUsableToken(deps.db, hashRefreshToken(successor))
  if (usable?.family_id !== familyId) return undefined
  const account = await findUserById(deps.db, usable.user_id)
  if (account === undefined || account.disabled) return undefined
  deps.log.info({ familyId }, 'rotated refresh token presented again within the grace window; same successor answered')
  return tokensFor(deps, toUser(account), successor, familyId)
}

/** Ends the session the token belongs to. Unknown, used or revoked tokens are fine: the outcome is the same. */
export async function logout (deps: AuthDeps, presented: string): Promise<void> {
  const revoked = await refreshTokens.revokeFamilyOfToken(deps.db, hashRefreshToken(presented))
  // Its access tokens too, on every replica, before the 204 (src/auth/sessions.ts).
  await forgetSessions(deps, revoked)
}

/** A new session, or undefined when the account is disabled (or gone) by the time of the insert. */
async function startFamily (deps: AuthDeps, db: Queryable, userId: string): Promise<{ token: string, familyId: string } | undefined> {
  const token = newRefreshToken()
  const familyId = randomUUID()
  const inserted = await refreshTokens.insertRefreshToken(db, { familyId, userId, tokenHash: hashRefreshToken(token), ttlSeconds: deps.config.jwt.refreshTokenTtlSeconds })
  return inserted ? { token, familyId } : undefined
}

/** Access tokens name their session (the refresh-token family) in `sid`, so ending the session ends them. */
function tokensFor (deps: AuthDeps, user: User, refreshToken: string, sessionId: string): TokensBody {
  const access = deps.issueAccessToken({ id: user.id, role: user.role, sessionId })
  return { accessToken: access.token, refreshToken, tokenType: AUTH_SCHEME, expiresIn: access.expiresIn, user }
}
