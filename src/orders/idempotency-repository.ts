import type { Queryable } from '../database/types.js'

export interface StoredResponse {
  requestHash: string
  status: number | null
  body: unknown
}

/**
 * The stored answer to an Idempotency-Key. Keys are claimed and answered inside the placement (place_order,
 * migration 006); this read serves the one path that does not reach it, an order over the units cap.
 */
export async function findKey (db: Queryable, userId: string, key: string): Promise<StoredResponse | undefined> {
  const { rows } = await db.query<{ request_hash: string, response_status: number | null, response_body: unknown }>(
    'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    [userId, key]
  )
  const row = rows[0]
  return row === undefined ? undefined : { requestHash: row.request_hash, status: row.response_status, body: row.response_body }
}
