import type { Queryable } from '../database/types.js'

/**
 * Takes a cancelled order's units off its customer's open units, locking the customer's row as a placement does (a
 * cancellation takes it before the products, in the same order as a placement). Clamped at zero: an order placed by
 * a replica of a version without the counter, during a rolling deploy, was never added, and its cancellation must not
 * fail on the CHECK. A placement adds the units in place_order (migration 006).
 */
export async function releaseOpenUnits (tx: Queryable, userId: string, units: number): Promise<void> {
  await tx.query('UPDATE users SET open_units = GREATEST(open_units - $2::int, 0) WHERE id = $1::uuid', [userId, units])
}
