import type { Queryable } from '../database/types.js'

/**
 * Locks the customer's row until the transaction ends, so one customer's orders are placed one at a time and
 * each counts the open units the previous one committed. NO KEY UPDATE, not UPDATE: it must not block the
 * key-share locks that inserting the customer's orders, idempotency keys or refresh tokens takes on this row.
 * A row lock rather than an advisory lock: it is transaction-scoped by nature and needs no key space of its own.
 * Returns false when the account no longer exists.
 */
export async function lockCustomer (tx: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId], { name: 'open-units.lock-customer' }
  )
  return rowCount > 0
}

/** Units in the customer's placed (not cancelled) orders: what they hold reserved right now. */
export async function openUnits (tx: Queryable, userId: string): Promise<number> {
  // bigint arrives as text (pg) or BigInt (PGlite); text gives one path, and the sum stays far below 2^53.
  const { rows } = await tx.query<{ units: string }>(
    `SELECT coalesce(sum(i.quantity), 0)::text AS units
     FROM orders o JOIN order_items i ON i.order_id = o.id
     WHERE o.user_id = $1 AND o.status = 'placed'`,
    [userId],
    { name: 'open-units.sum' }
  )
  return Number(rows[0]?.units ?? 0)
}
