import type { Database } from '../database/types.js'
import type { Role, User, UpdateMeBody, UpdateUserBody } from '../../schemas/user.js'
import type { Queryable } from '../database/types.js'
import { pagination, type Pagination } from '../../schemas/pagination.js'
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js'
import { isUniqueViolation } from '../database/errors.js'
import { assertPasswordHashCapacity, hashPassword, verifyPassword } from '../auth/passwords.js'
import { revokeAllOfUser } from '../auth/refresh-token-repository.js'
import { admitPasswordAttempt, clearPasswordAttempts } from '../auth/login-throttle.js'
import { assertPasswordPolicy } from '../auth/password-policy.js'
import type { Cache } from '../cache/types.js'
import { forgetSessions } from '../auth/sessions.js'
import * as users from './repository.js'
import { toUser } from './to-user.js'

export interface UsersDeps {
  db: Database
  cache: Cache
  config: { passwordHashQueueMax: number, cacheTtlSeconds: number }
}

/** Self-service sign-up: always a customer; the email is stored lower-cased. */
export async function registerUser (deps: UsersDeps, input: { email: string, password: string, name: string }): Promise<User> {
  await assertPasswordPolicy(input.password)
  const passwordHash = await hashPassword(input.password, deps.config.passwordHashQueueMax)
  try {
    const row = await users.insertUser(deps.db, { email: input.email.toLowerCase(), name: input.name, passwordHash, role: 'customer' })
    return toUser(row)
  } catch (error) {
    if (isUniqueViolation(error, users.EMAIL_UNIQUE_CONSTRAINT)) throw new ConflictError('An account with this email already exists', 'email-taken')
    throw error
  }
}

/**
 * The account's role now, for checks that must not trust a token's older claim (plugins/auth.ts): one primary-key
 * read. A token whose account was deleted is no longer a valid sign-in.
 */
export async function currentRole (db: Queryable, userId: string): Promise<Role> {
  const role = await users.findUserRole(db, userId)
  if (role === undefined) throw new UnauthorizedError('The account of this token no longer exists')
  return role
}

/** The caller's own account; a token whose user was deleted is no longer a valid sign-in. */
export async function getOwnAccount (deps: UsersDeps, userId: string): Promise<User> {
  const row = await users.findUserById(deps.db, userId)
  if (row === undefined) throw new UnauthorizedError('The account of this token no longer exists')
  return toUser(row)
}

/**
 * Name and/or password of the caller. A new password needs the current one, and ends every session
 * (all refresh token families), so a thief holding a refresh token loses it with the old password.
 * currentPassword is limited like sign-in, on the same count: a stolen access token is no unlimited oracle.
 */
export async function updateOwnAccount (deps: UsersDeps, caller: { id: string, ip: string }, changes: UpdateMeBody): Promise<User> {
  const userId = caller.id
  if (changes.password === undefined && changes.currentPassword !== undefined) {
    throw new BadRequestError('currentPassword is only accepted together with password')
  }
  if (changes.password !== undefined && changes.currentPassword === undefined) {
    throw new BadRequestError('Changing the password requires currentPassword')
  }
  // Before currentPassword is checked: a refused new password costs no argon2 and no attempt of the lock.
  if (changes.password !== undefined) await assertPasswordPolicy(changes.password)
  const account = await users.findUserWithHashById(deps.db, userId)
  if (account === undefined) throw new UnauthorizedError('The account of this token no longer exists')

  const { password, currentPassword, name } = changes
  const newHash = password !== undefined && currentPassword !== undefined
    ? await checkedNewHash(deps, { email: account.email, hash: account.password_hash, ip: caller.ip }, currentPassword, password)
    : undefined

  const { row: updated, revoked } = await deps.db.transaction(async (tx) => {
    let row: users.UserRow | undefined = account
    let revoked: string[] = []
    if (name !== undefined || newHash !== undefined) row = await users.updateUser(tx, userId, { name, passwordHash: newHash })
    if (newHash !== undefined) revoked = await revokeAllOfUser(tx, userId)
    return { row, revoked }
  })
  // After the commit, before the answer: from here on every replica refuses the old access tokens.
  await forgetSessions(deps, revoked)
  if (updated === undefined) throw new UnauthorizedError('The account of this token no longer exists')
  return toUser(updated)
}

async function checkedNewHash (
  deps: UsersDeps,
  account: { email: string, hash: string, ip: string },
  currentPassword: string,
  password: string
): Promise<string> {
  const queueMax = deps.config.passwordHashQueueMax
  // Shed before counting: an attempt refused for load checked nothing and must not bring the lock closer.
  assertPasswordHashCapacity(queueMax)
  await admitPasswordAttempt(deps.cache, account.email, account.ip)
  if (!(await verifyPassword(account.hash, currentPassword, queueMax))) throw new ForbiddenError('currentPassword is wrong')
  await clearPasswordAttempts(deps.cache, account.email, account.ip)
  return hashPassword(password, queueMax)
}

export async function listAccounts (deps: UsersDeps, page: number, limit: number): Promise<{ data: User[], pagination: Pagination }> {
  const { rows, total } = await users.listUsers(deps.db, limit, (page - 1) * limit)
  return { data: rows.map(toUser), pagination: pagination(page, limit, total) }
}

export class OwnRoleChangeError extends AppError {
  constructor () {
    super(403, 'own-role-change', 'An admin cannot change their own role; ask another admin')
  }
}

export class OwnAccountDisableError extends AppError {
  constructor () {
    super(403, 'own-account-disable', 'An admin cannot disable their own account; ask another admin')
  }
}

/**
 * Admin only (the route checks the caller's current role): role and/or disabled state of another account. Not on
 * oneself: a demoted admin racing their own demotion, or the last admin demoting or locking themself out by
 * mistake, cannot happen. A real role change, and disabling, end the account's sessions (every refresh token and,
 * through their `sid`, every access token, at once), so a new role takes effect at the next sign-in and a disabled
 * account is out at once (sign-in and refresh refuse it, src/auth/service.ts). Enabling revokes nothing: a disabled
 * account has no session left. Admin routes also read the role from the database, not from the claim.
 */
export async function changeAccount (deps: UsersDeps, actorId: string, userId: string, changes: UpdateUserBody): Promise<User> {
  const { role, disabled } = changes
  if (actorId === userId && role !== undefined) throw new OwnRoleChangeError()
  if (actorId === userId && disabled === true) throw new OwnAccountDisableError()
  const { row, revoked } = await deps.db.transaction(async (tx) => {
    const before = await users.lockUserState(tx, userId)
    if (before === undefined) return { row: undefined, revoked: [] }
    let row = await users.findUserById(tx, userId)
    if (role !== undefined) row = await users.updateUser(tx, userId, { role })
    if (disabled !== undefined) row = await users.updateUserDisabled(tx, userId, disabled)
    const endsSessions = (role !== undefined && before.role !== role) || (disabled === true && !before.disabled)
    const revoked = endsSessions ? await revokeAllOfUser(tx, userId) : []
    return { row, revoked }
  })
  // After the commit, before the answer: from here on every replica refuses the account's old access tokens.
  await forgetSessions(deps, revoked)
  if (row === undefined) throw new NotFoundError('User not found')
  return toUser(row)
}
