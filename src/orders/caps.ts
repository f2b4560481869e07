import type { Queryable } from '../database/types.js'
import { ConflictError, UnauthorizedError, UnprocessableError } from '../errors.js'
import type { OrderCaps, PlaceOrderBody } from '../../schemas/order.js'
import * as openUnits from './open-units-repository.js'

/**
 * OWASP API6: one order, or one customer's open orders, must not reserve a large share of the stock.
 * The per-line and line-count caps are in the request schema; these are the two that need a sum.
 */

export function unitsOf (body: PlaceOrderBody): number {
  return body.items.reduce((sum, item) => sum + item.quantity, 0)
}

export function assertOrderWithinCap (units: number, caps: OrderCaps): void {
  if (units > caps.maxUnits) {
    throw new UnprocessableError(
      `An order may hold at most ${caps.maxUnits} units in all; this one has ${units}`,
      'order-too-large',
      { maxUnits: caps.maxUnits, requestedUnits: units }
    )
  }
}

/**
 * Must run inside the order transaction: the customer lock taken here holds until commit, so two concurrent
 * orders of one customer cannot both count the same open units and together pass the cap.
 */
export async function assertOpenUnitsWithinCap (tx: Queryable, userId: string, units: number, caps: OrderCaps): Promise<void> {
  if (!await openUnits.lockCustomer(tx, userId)) throw new UnauthorizedError('This account no longer exists')
  const open = await openUnits.openUnits(tx, userId)
  const max = caps.maxOpenUnitsPerCustomer
  if (open + units > max) {
    throw new ConflictError(
      `At most ${max} units may be in your placed orders at once; ${open} are, and this order adds ${units}. ` +
        'Cancelling an order frees its units',
      'open-units-exceeded',
      { maxOpenUnits: max, openUnits: open, requestedUnits: units }
    )
  }
}
