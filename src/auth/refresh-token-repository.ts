import type { Queryable } from '../database/types.js'

export interface ConsumedToken {
  family_id: string
  user_id: string
}

export interface StoredTokenState {
  family_id: string
  consumed: boolean
  /** Consumed no longer ago than the reuse grace window (by the database's clock, the same for every replica). */
  within_grace: boolean
}

/**
 * Adds a token, unless the account is disabled (or gone): then nothing is written and the answer is false. The
 * account row is locked FOR SHARE, so a concurrent disable (which locks it FOR UPDATE, then revokes every token of
 * the account) either waits for this token and revokes it too, or commits first and this insert sees it disabled:
 * a sign-in racing the disable cannot leave a live session behind.
 */
export async function insertRefreshToken (
  db: Queryable,
  token: { familyId: string, userId: string, tokenHash: string, ttlSeconds: number }
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at)
     SELECT $1, id, $3, now() + make_interval(secs => $4)
     FROM users WHERE id = $2 AND disabled_at IS NULL FOR SHARE
     RETURNING id`,
    [token.familyId, token.userId, token.tokenHash, token.ttlSeconds]
  )
  return rows.length > 0
}

/**
 * Marks a live token consumed and returns it, in one conditional statement: of two concurrent callers
 * only one sees a row (the other waits on the row lock, then finds consumed_at set).
 */
export async function consumeRefreshToken (db: Queryable, tokenHash: string): Promise<ConsumedToken | undefined> {
  const { rows } = await db.query<ConsumedToken>(
    `UPDATE refresh_tokens SET consumed_at = now()
     WHERE token_hash = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now()
     RETURNING family_id, user_id`,
    [tokenHash]
  )
  return rows[0]
}

export async function findRefreshToken (db: Queryable, tokenHash: string, graceSeconds: number): Promise<StoredTokenState | undefined> {
  const { rows } = await db.query<StoredTokenState>(
    `SELECT family_id, consumed_at IS NOT NULL AS consumed,
            coalesce(consumed_at > now() - make_interval(secs => $2), false) AS within_grace
     FROM refresh_tokens WHERE token_hash = $1`,
    [tokenHash, graceSeconds]
  )
  return rows[0]
}

/** A token that may still be used: neither consumed nor revoked nor expired. */
export async function findUsableToken (db: Queryable, tokenHash: string): Promise<ConsumedToken | undefined> {
  const { rows } = await db.query<ConsumedToken>(
    `SELECT family_id, user_id FROM refresh_tokens
     WHERE token_hash = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
    [tokenHash]
  )
  return rows[0]
}

/** A session is live while its family holds a token not revoked (src/auth/sessions.ts); one index lookup. */
export async function isFamilyLive (db: Queryable, familyId: string): Promise<boolean> {
  const { rows } = await db.query<{ live: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL) AS live',
    [familyId]
  )
  return rows[0]?.live === true
}

export async function revokeFamily (db: Queryable, familyId: string): Promise<void> {
  await db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId])
}

/** Returns the families it revoked now (none when the token is unknown or its family was revoked before). */
export async function revokeFamilyOfToken (db: Queryable, tokenHash: string): Promise<string[]> {
  const { rows } = await db.query<{ family_id: string }>(
    `UPDATE refresh_tokens SET revoked_at = now()
     WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
     RETURNING family_id`,
    [tokenHash]
  )
  return rows.map((row) => row.family_id)
}

/** Returns the families it revoked now, so their access tokens can be refused too (src/auth/sessions.ts). */
export async function revokeAllOfUser (db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ family_id: string }>(
    'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING family_id',
    [userId]
  )
  return rows.map((row) => row.family_id)
}
