import type { Queryable } from '../database/types.js'
import type { LineStock } from './repository.js'

interface PeekRow { product_id: string, requested: number, available: number | null }

/**
 * Locks the customer's row until the transaction ends, so one customer's orders are placed one at a time and
 * each counts the open units the previous one committed: the placement statement that follows takes its snapshot
 * after this lock is granted. NO KEY UPDATE, not UPDATE: it must not block the key-share locks that inserting the
 * customer's orders, idempotency keys or refresh tokens takes on this row. A row lock rather than an advisory lock:
 * it is transaction-scoped by nature and needs no key space of its own.
 *
 * The same round trip reads the wanted products' stock without locking them: when a hot product has sold out,
 * the losers answer 409 at once instead of queueing for its row lock in the placement. The placement's locked
 * check is the one that counts. No rows: the account no longer exists.
 * $1 user id, $2 product ids (client order), $3 quantities. Exported so the benchmarks run this very text.
 */
export const LOCK_CUSTOMER_SQL = `WITH customer AS (SELECT id FROM users WHERE id = $1::uuid FOR NO KEY UPDATE)
     SELECT w.product_id, w.quantity AS requested, p.stock AS available
     FROM customer
     CROSS JOIN unnest($2::uuid[], $3::int[]) WITH ORDINALITY AS w (product_id, quantity, no)
     LEFT JOIN products p ON p.id = w.product_id AND p.archived_at IS NULL
     ORDER BY w.no`

/** The lines with their last committed stock, in the client's order; undefined when the account is gone. */
export async function lockCustomer (
  tx: Queryable, userId: string, items: Array<{ productId: string, quantity: number }>
): Promise<LineStock[] | undefined> {
  const { rows } = await tx.query<PeekRow>(
    LOCK_CUSTOMER_SQL,
    [userId, items.map((item) => item.productId), items.map((item) => item.quantity)],
    { name: 'orders.lock-customer' }
  )
  if (rows.length === 0) return undefined
  return rows.map((row) => ({ productId: row.product_id, requested: row.requested, available: row.available ?? undefined }))
}

/**
 * Takes a cancelled order's units off its customer's open units, locking the customer's row as a placement does (a
 * cancellation takes it before the products, in the same order as a placement). Clamped at zero: an order placed by
 * a replica of a version without the counter, during a rolling deploy, was never added, and its cancellation must not
 * fail on the CHECK.
 */
export async function releaseOpenUnits (tx: Queryable, userId: string, units: number): Promise<void> {
  await tx.query('UPDATE users SET open_units = GREATEST(open_units - $2::int, 0) WHERE id = $1::uuid', [userId, units])
}
