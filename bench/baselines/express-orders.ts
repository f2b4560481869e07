import { z } from 'zod'
import type { BaselineDatabase } from './database.js'
import { PLACE_ORDER_SQL } from '../../src/orders/repository.js'
import { LOCK_CUSTOMER_SQL } from '../../src/orders/customer-lock-repository.js'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../../schemas/order.js'

/** The service's hard ceilings (schemas/order.ts): 1–50 lines, distinct products, quantity 1–1000; unknown fields rejected. */
export const OrderBody = z.strictObject({
  items: z.array(z.strictObject({ productId: z.uuid(), quantity: z.int().min(1).max(MAX_LINE_QUANTITY) })).min(1).max(MAX_ORDER_LINES)
    .refine((items) => new Set(items.map((item) => item.productId.toLowerCase())).size === items.length, 'productId must be distinct')
})
export type OrderBody = z.infer<typeof OrderBody>

export class StockShortage extends Error {}
export class UnknownProduct extends Error {}

interface LineRow { product_id: string, requested: number, available: number | null }
interface PlacedRow extends LineRow { body: unknown }

/** What the service's open-units cap would be in the bench (CUSTOMER_MAX_OPEN_UNITS raised to its ceiling). */
const MAX_OPEN_UNITS = 1_000_000_000
const CREATED = 201

// The service's statements, imported from its repositories (src/orders/customer-lock-repository.ts,
// src/orders/repository.ts), in its order: lock the customer and read the stock without locks (early 409), then
// the one-statement placement. Unnamed statements, as a seed stack would send them.

export async function placeOrder (db: BaselineDatabase, userId: string, body: OrderBody) {
  return db.transaction(async (query) => {
    const ids = body.items.map((item) => item.productId.toLowerCase())
    const quantities = body.items.map((item) => item.quantity)
    const check = (rows: LineRow[]) => {
      if (rows.some((row) => row.available === null)) throw new UnknownProduct('Unknown or archived product')
      if (rows.some((row) => (row.available ?? 0) < row.requested)) throw new StockShortage('Not enough stock for some items; nothing was ordered')
    }
    check(await query<LineRow>(LOCK_CUSTOMER_SQL, [userId, ids, quantities]))
    const rows = await query<PlacedRow>(PLACE_ORDER_SQL, [userId, ids, quantities, MAX_OPEN_UNITS, null, CREATED])
    const order = rows[0]?.body
    if (order === undefined || order === null) {
      check(rows)
      throw new Error('order not placed')
    }
    return order as { id: string }
  })
}
