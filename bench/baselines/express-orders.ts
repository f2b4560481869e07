import { z } from 'zod'
import type { BaselineDatabase } from './database.js'
import { PLACE_ORDER_SQL } from '../../src/orders/repository.js'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../../schemas/order.js'

/** The service's hard ceilings (schemas/order.ts): 1–50 lines, distinct products, quantity 1–1000; unknown fields rejected. */
export const OrderBody = z.strictObject({
  items: z.array(z.strictObject({ productId: z.uuid(), quantity: z.int().min(1).max(MAX_LINE_QUANTITY) })).min(1).max(MAX_ORDER_LINES)
    .refine((items) => new Set(items.map((item) => item.productId.toLowerCase())).size === items.length, 'productId must be distinct')
})
export type OrderBody = z.infer<typeof OrderBody>

export class StockShortage extends Error {}
export class UnknownProduct extends Error {}

interface PlacementRow { outcome: string, product_id: string | null, requested: number | null, available: number | null, body: unknown }

/** What the service's open-units cap would be in the bench (CUSTOMER_MAX_OPEN_UNITS raised to its ceiling). */
const MAX_OPEN_UNITS = 1_000_000_000
const CREATED = 201

// The service's statement, imported from its repository (src/orders/repository.ts): one call of the place_order
// function in autocommit. An unnamed statement, as a seed stack would send it.

export async function placeOrder (db: BaselineDatabase, userId: string, body: OrderBody) {
  const ids = body.items.map((item) => item.productId.toLowerCase())
  const quantities = body.items.map((item) => item.quantity)
  const rows = await db.query<PlacementRow>(PLACE_ORDER_SQL, [userId, ids, quantities, MAX_OPEN_UNITS, null, '', CREATED])
  const first = rows[0]
  if (first?.outcome === 'placed') return first.body as { id: string }
  if (rows.some((row) => row.available === null)) throw new UnknownProduct('Unknown or archived product')
  if (rows.some((row) => (row.available ?? 0) < (row.requested ?? 0))) throw new StockShortage('Not enough stock for some items; nothing was ordered')
  throw new Error(`order not placed: ${first?.outcome ?? 'no answer'}`)
}
