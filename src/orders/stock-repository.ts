import type { Queryable } from '../database/types.js'
import type { ProductVersion } from '../products/repository.js'

/** Gives a cancelled order's stock back (an order takes it in orders.placeOrder, one statement). $1 ids, $2 deltas. */
const ADJUST_STOCK = `UPDATE products p
     SET stock = LEAST(p.stock::bigint + change.delta, 2147483647)::int, version = p.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::int[]) AS change (id, delta)
     WHERE p.id = change.id
     RETURNING p.id, p.version`

/**
 * Locks the products among `ids`, archived ones included (a cancellation gives their stock back as well), always in
 * id order like an order's placement: two transactions wanting the same rows take them in the same sequence, so
 * they queue instead of deadlocking (PostgreSQL applies FOR UPDATE after the sort).
 */
export async function lockProductsForRestock (tx: Queryable, ids: string[]): Promise<void> {
  await tx.query('SELECT id FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids])
}

/**
 * Adds `deltas[i]` to the stock of `ids[i]`. The rows must already be locked by this transaction.
 * Restocking saturates at the integer maximum rather than failing a cancellation.
 */
export async function adjustStock (tx: Queryable, ids: string[], deltas: number[]): Promise<ProductVersion[]> {
  const { rows } = await tx.query<ProductVersion>(ADJUST_STOCK, [ids, deltas], { name: 'stock.adjust' })
  return rows
}
