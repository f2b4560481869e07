import type { Queryable } from '../database/types.js'

/** docs/api.md keeps Idempotency-Keys "at least 24 hours"; a day more covers clients retrying across a day boundary. */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 48
/** Expired refresh tokens stay a day, so a late reuse of one is still recognized (and logged) as reuse. */
export const EXPIRED_REFRESH_TOKEN_RETENTION_HOURS = 24

export interface PurgeResult {
  idempotencyKeys: number
  refreshTokens: number
}

/** Deletes rows that no request can need any more. Idempotent, so every replica may run it. */
export async function purgeExpired (db: Queryable): Promise<PurgeResult> {
  const keys = await db.query(
    'DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)',
    [IDEMPOTENCY_KEY_RETENTION_HOURS]
  )
  const tokens = await db.query(
    'DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(hours => $1)',
    [EXPIRED_REFRESH_TOKEN_RETENTION_HOURS]
  )
  return { idempotencyKeys: keys.rowCount, refreshTokens: tokens.rowCount }
}
