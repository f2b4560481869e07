import type { Queryable } from '../database/types.js'
import type { Role } from '../../schemas/user.js'

/** A users row as SQL returns it; password_hash never leaves the services that need it. */
export interface UserRow {
  id: string
  email: string
  name: string
  role: Role
  /** disabled_at IS NOT NULL: an admin disabled the account (migrations/004.do.user-disabled.sql). */
  disabled: boolean
  created_at: Date | string
}

export interface UserWithHashRow extends UserRow {
  password_hash: string
}

const COLUMNS = 'id, email, name, role, disabled_at IS NOT NULL AS disabled, created_at'

/** The index name in migrations/002.do.users.sql; a clash on it means "email taken". */
export const EMAIL_UNIQUE_CONSTRAINT = 'users_email_lower_key'

export async function insertUser (db: Queryable, user: { email: string, name: string, passwordHash: string, role: Role }): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [user.email, user.name, user.role, user.passwordHash]
  )
  return firstRow(rows)
}

export async function findUserById (db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id])
  return rows[0]
}

/** The account's role now: one primary-key read, for checks that must not trust a token's older claim. */
export async function findUserRole (db: Queryable, id: string): Promise<Role | undefined> {
  const { rows } = await db.query<{ role: Role }>('SELECT role FROM users WHERE id = $1', [id])
  return rows[0]?.role
}

/**
 * Role and disabled state, with the row locked until the transaction ends, so two changes of one account
 * serialize, and a sign-in or refresh starting a session of it waits (insertRefreshToken locks it FOR SHARE).
 */
export async function lockUserState (db: Queryable, id: string): Promise<{ role: Role, disabled: boolean } | undefined> {
  const { rows } = await db.query<{ role: Role, disabled: boolean }>(
    'SELECT role, disabled_at IS NOT NULL AS disabled FROM users WHERE id = $1 FOR UPDATE', [id]
  )
  return rows[0]
}

export async function findUserWithHashById (db: Queryable, id: string): Promise<UserWithHashRow | undefined> {
  const { rows } = await db.query<UserWithHashRow>(`SELECT ${COLUMNS}, password_hash FROM users WHERE id = $1`, [id])
  return rows[0]
}

export async function findUserWithHashByEmail (db: Queryable, email: string): Promise<UserWithHashRow | undefined> {
  const { rows } = await db.query<UserWithHashRow>(`SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`, [email])
  return rows[0]
}

/** present: already an admin, untouched; created: a new account; promoted: an account of that email became admin. */
export type AdminOutcome = 'created' | 'promoted' | 'present'

/** The columns a service may set on an account; each left out keeps its value. */
export interface UserChanges {
  name?: string | undefined
  passwordHash?: string | undefined
  role?: Role | undefined
}

/** Sets the given columns in one statement; undefined when there is no such account. */
export async function updateUser (db: Queryable, id: string, changes: UserChanges): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET name = COALESCE($2, name), password_hash = COALESCE($3, password_hash), role = COALESCE($4, role),
       updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, changes.name ?? null, changes.passwordHash ?? null, changes.role ?? null]
  )
  return rows[0]
}

/** Disabling keeps the first disabled_at (a repeated disable is no new event); enabling clears it. */
export async function updateUserDisabled (db: Queryable, id: string, disabled: boolean): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) END, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`, [id, disabled]
  )
  return rows[0]
}

export async function listUsers (db: Queryable, limit: number, offset: number): Promise<{ rows: UserRow[], total: number }> {
  const [page, count] = await Promise.all([
    db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`, [limit, offset]),
    db.query<{ total: number }>('SELECT count(*)::int AS total FROM users')
  ])
  return { rows: page.rows, total: count.rows[0]?.total ?? 0 }
}

/**
 * Makes sure an account with this email exists and is an admin. An admin keeps its password (it may have
 * been changed since); a customer who registered that email first is promoted only with the configured
 * password, so whoever signed up under the admin's address before the deploy cannot sign in as admin.
 */
export async function ensureAdmin (
  db: Queryable,
  admin: { email: string, name: string, passwordHash: string }
): Promise<{ id: string, outcome: AdminOutcome }> {
  // The CTE reads the row as it was before this statement, which RETURNING alone cannot.
  const { rows } = await db.query<{ id: string, previous_role: Role | null }>(
    `WITH before AS (SELECT role FROM users WHERE lower(email) = lower($1))
     INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, 'admin', $3)
     ON CONFLICT ((lower(email))) DO UPDATE SET
       role = 'admin',
       password_hash = CASE WHEN users.role = 'admin' THEN users.password_hash ELSE EXCLUDED.password_hash END,
       updated_at = CASE WHEN users.role = 'admin' THEN users.updated_at ELSE now() END
     RETURNING id, (SELECT role FROM before) AS previous_role`,
    [admin.email, admin.name, admin.passwordHash]
  )
  const row = firstRow(rows)
  const outcome = row.previous_role === null ? 'created' : row.previous_role === 'admin' ? 'present' : 'promoted'
  return { id: row.id, outcome }
}

function firstRow<Row> (rows: Row[]): Row {
  const row = rows[0]
  if (row === undefined) throw new Error('statement returned no row')
  return row
}
