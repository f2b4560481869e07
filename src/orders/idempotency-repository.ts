import type { Queryable } from '../database/types.js'

export interface StoredResponse {
  requestHash: string
  status: number | null
  body: unknown
}

/**
 * Claims a key inside the order transaction. On PostgreSQL a concurrent claim of the same key blocks on the
 * uncommitted row until this transaction ends: it then sees the stored response (commit) or claims the key
 * itself (rollback). Returns false when the key was already taken.
 */
export async function claimKey (tx: Queryable, userId: string, key: string, requestHash: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, key) DO NOTHING`,
    [userId, key, requestHash]
  )
  return rowCount > 0
}

export async function findKey (tx: Queryable, userId: string, key: string): Promise<StoredResponse | undefined> {
  const { rows } = await tx.query<{ request_hash: string, response_status: number | null, response_body: unknown }>(
    'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    [userId, key]
  )
  const row = rows[0]
  return row === undefined ? undefined : { requestHash: row.request_hash, status: row.response_status, body: row.response_body }
}

export async function storeResponse (tx: Queryable, userId: string, key: string, status: number, body: unknown): Promise<void> {
  await tx.query(
    'UPDATE idempotency_keys SET response_status = $3, response_body = $4::jsonb WHERE user_id = $1 AND key = $2',
    [userId, key, status, JSON.stringify(body)]
  )
}
