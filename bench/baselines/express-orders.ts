import { z } from 'zod'
import type { BaselineDatabase } from './database.js'

/** API.md: 1–50 lines, distinct products, quantity 1–1000; unknown fields rejected. */
export const OrderBody = z.strictObject({
  items: z.array(z.strictObject({ productId: z.uuid(), quantity: z.int().min(1).max(1000) })).min(1).max(50)
    .refine((items) => new Set(items.map((item) => item.productId.toLowerCase())).size === items.length, 'productId must be distinct')
})
export type OrderBody = z.infer<typeof OrderBody>

export class StockShortage extends Error {}
export class UnknownProduct extends Error {}

interface LockedRow { id: string, sku: string, name: string, price_cents: number, stock: number }
interface OrderRow { id: string, user_id: string, status: string, total_cents: string, created_at: Date, updated_at: Date }
interface ItemRow { product_id: string, sku: string, name: string, quantity: number, unit_price_cents: number, line_total_cents: string }

// The service's statements, verbatim (src/orders/stock-repository.ts, src/orders/repository.ts), in its order:
// lock the live products in id order, adjust stock, insert the order, insert its lines, read the lines back.
const LOCK_LIVE_PRODUCTS = `SELECT id, sku, name, price_cents, stock FROM products
     WHERE id = ANY($1::uuid[]) AND archived_at IS NULL
     ORDER BY id FOR UPDATE`
const ADJUST_STOCK = `UPDATE products p
     SET stock = LEAST(p.stock::bigint + change.delta, 2147483647)::int, version = p.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::int[]) AS change (id, delta)
     WHERE p.id = change.id`
const INSERT_ORDER = `INSERT INTO orders (user_id, total_cents) VALUES ($1, $2::bigint)
     RETURNING id, user_id, status, total_cents::text AS total_cents, created_at, updated_at`
const INSERT_LINES = `INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
     SELECT $1, line.no, line.product_id, line.sku, line.name, line.quantity, line.unit_price_cents,
            line.quantity::bigint * line.unit_price_cents
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[])
       WITH ORDINALITY AS line (product_id, sku, name, quantity, unit_price_cents, no)`
const READ_LINES = `SELECT order_id, product_id, sku, name, quantity, unit_price_cents, line_total_cents::text AS line_total_cents
     FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no`

export async function placeOrder (db: BaselineDatabase, userId: string, body: OrderBody) {
  return db.transaction(async (query) => {
    const ids = body.items.map((item) => item.productId.toLowerCase())
    const locked = new Map((await query<LockedRow>(LOCK_LIVE_PRODUCTS, [ids])).map((row) => [row.id, row]))
    const lines = body.items.map((item) => {
      const product = locked.get(item.productId.toLowerCase())
      if (product === undefined) throw new UnknownProduct(`Unknown or archived product: ${item.productId}`)
      if (product.stock < item.quantity) throw new StockShortage('Not enough stock for some items; nothing was ordered')
      return { product, quantity: item.quantity }
    })
    await query(ADJUST_STOCK, [lines.map((line) => line.product.id), lines.map((line) => -line.quantity)])
    const total = lines.reduce((sum, line) => sum + line.quantity * line.product.price_cents, 0)
    const [order] = await query<OrderRow>(INSERT_ORDER, [userId, String(total)])
    if (order === undefined) throw new Error('order insert returned no row')
    await query(INSERT_LINES, [
      order.id,
      lines.map((line) => line.product.id),
      lines.map((line) => line.product.sku),
      lines.map((line) => line.product.name),
      lines.map((line) => line.quantity),
      lines.map((line) => line.product.price_cents)
    ])
    const items = await query<ItemRow>(READ_LINES, [[order.id]])
    return {
      id: order.id,
      userId: order.user_id,
      status: order.status,
      items: items.map((item) => ({
        productId: item.product_id,
        sku: item.sku,
        name: item.name,
        quantity: item.quantity,
        unitPriceCents: item.unit_price_cents,
        lineTotalCents: Number(item.line_total_cents)
      })),
      totalCents: Number(order.total_cents),
      createdAt: order.created_at.toISOString(),
      updatedAt: order.updated_at.toISOString()
    }
  })
}
