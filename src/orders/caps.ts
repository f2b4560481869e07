import { ConflictError, UnprocessableError } from '../errors.js'
import type { OrderCaps, PlaceOrderBody } from '../../schemas/order.js'

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
 * `open` must be counted under the customer's lock (the placement statement does, after lockCustomer), so two
 * concurrent orders of one customer cannot both count the same open units and together pass the cap.
 */
export function assertOpenUnitsWithinCap (open: number, units: number, caps: OrderCaps): void {
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
