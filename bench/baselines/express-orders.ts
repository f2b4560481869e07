import { z } from 'zod'
import type { BaselineDatabase } from './database.js'
import { INSERT_ORDER_SQL } from '../../src/orders/repository.js'
import { STOCK_SQL } from '../../src/orders/stock-repository.js'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../../schemas/order.js'

/** The service's hard ceilings (schemas/order.ts): 1–50 lines, distinct products, quantity 1–1000; unknown fields rejected. */
export const OrderBody = z.strictObject({
  items: z.array(z.strictObject({ productId: z.uuid(), quantity: z.int().min(1).max(MAX_LINE_QUANTITY) })).min(1).max(MAX_ORDER_LINES)
    .refine((items) => new Set(items.map((item) => item.productId.toLowerCase())).size === items.length, 'productId must be distinct')
})
export type OrderBody = z.infer<typeof OrderBody>

export class StockShortage extends Error {}
export class UnknownProduct extends Error {}

interface LockedRow { id: string, sku: string, name: string, price_cents: number, stock: number }
interface OrderRow { id: string, user_id: string, status: string, total_cents: string, created_at: Date, updated_at: Date }

// The service's statements, imported from its repositories (src/orders/stock-repository.ts, src/orders/repository.ts),
// in its order: read the live products without locks (early 409), lock them in id order, adjust stock, insert the
// order and its lines in one statement. Unnamed statements, as a seed stack would send them.

export async function placeOrder (db: BaselineDatabase, userId: string, body: OrderBody) {
  return db.transaction(async (query) => {
    const ids = body.items.map((item) => item.productId.toLowerCase())
    const check = (rows: LockedRow[]) => {
      const byId = new Map(rows.map((row) => [row.id, row]))
      return body.items.map((item) => {
        const product = byId.get(item.productId.toLowerCase())
        if (product === undefined) throw new UnknownProduct(`Unknown or archived product: ${item.productId}`)
        if (product.stock < item.quantity) throw new StockShortage('Not enough stock for some items; nothing was ordered')
        return { product, quantity: item.quantity }
      })
    }
    check(await query<LockedRow>(STOCK_SQL.readLiveProducts, [ids]))
    const lines = check(await query<LockedRow>(STOCK_SQL.lockLiveProducts, [ids]))
    await query(STOCK_SQL.adjustStock, [lines.map((line) => line.product.id), lines.map((line) => -line.quantity)])
    const total = lines.reduce((sum, line) => sum + line.quantity * line.product.price_cents, 0)
    const [order] = await query<OrderRow>(INSERT_ORDER_SQL, [
      userId,
      String(total),
      lines.map((line) => line.product.id),
      lines.map((line) => line.product.sku),
      lines.map((line) => line.product.name),
      lines.map((line) => line.quantity),
      lines.map((line) => line.product.price_cents)
    ])
    if (order === undefined) throw new Error('order insert returned no row')
    const items = lines.map((line) => ({
      productId: line.product.id,
      sku: line.product.sku,
      name: line.product.name,
      quantity: line.quantity,
      unitPriceCents: line.product.price_cents,
      lineTotalCents: line.quantity * line.product.price_cents
    }))
    return {
      id: order.id,
      userId: order.user_id,
      status: order.status,
      items,
      totalCents: Number(order.total_cents),
      createdAt: order.created_at.toISOString(),
      updatedAt: order.updated_at.toISOString()
    }
  })
}
