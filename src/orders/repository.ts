import type { Queryable } from '../database/types.js'
import type { Order, OrderItem, OrderStatus } from '../../schemas/order.js'

interface OrderRow {
  id: string
  user_id: string
  status: OrderStatus
  total_cents: string
  created_at: Date
  updated_at: Date
}

interface ItemRow {
  order_id: string
  product_id: string
  sku: string
  name: string
  quantity: number
  unit_price_cents: number
  line_total_cents: string
}

// bigint sums arrive as text (pg) or BigInt (PGlite); reading them as text gives one path. Values stay far
// below 2^53 (50 lines × 1000 units × 2^31 cents), so Number() is exact.
const ORDER_COLUMNS = 'id, user_id, status, total_cents::text AS total_cents, created_at, updated_at'
const ITEM_COLUMNS = 'order_id, product_id, sku, name, quantity, unit_price_cents, line_total_cents::text AS line_total_cents'

export interface NewOrderLine {
  productId: string
  sku: string
  name: string
  quantity: number
  unitPriceCents: number
}

/** Who is asking: customers see their own orders only, admins every order. */
export interface Viewer {
  userId: string
  isAdmin: boolean
}

function toItem (row: ItemRow): OrderItem {
  return {
    productId: row.product_id,
    sku: row.sku,
    name: row.name,
    quantity: row.quantity,
    unitPriceCents: row.unit_price_cents,
    lineTotalCents: Number(row.line_total_cents)
  }
}

function toOrder (row: OrderRow, items: OrderItem[]): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items,
    totalCents: Number(row.total_cents),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

async function itemsOf (db: Queryable, orderIds: string[]): Promise<Map<string, OrderItem[]>> {
  const byOrder = new Map<string, OrderItem[]>(orderIds.map((id) => [id, []]))
  if (orderIds.length === 0) return byOrder
  const { rows } = await db.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no`,
    [orderIds]
  )
  for (const row of rows) byOrder.get(row.order_id)?.push(toItem(row))
  return byOrder
}

async function withItems (db: Queryable, rows: OrderRow[]): Promise<Order[]> {
  const items = await itemsOf(db, rows.map((row) => row.id))
  return rows.map((row) => toOrder(row, items.get(row.id) ?? []))
}

/**
 * The order and its lines in one statement: $1 user id, $2 total (text, cast to bigint), $3–$7 the lines' product
 * ids, skus, names, quantities and unit prices. Exported so the benchmarks run this very text (bench/lib).
 */
export const INSERT_ORDER_SQL = `WITH placed AS (
       INSERT INTO orders (user_id, total_cents) VALUES ($1, $2::bigint) RETURNING ${ORDER_COLUMNS}
     ), lines AS (
       INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
       SELECT placed.id, line.no, line.product_id, line.sku, line.name, line.quantity, line.unit_price_cents,
              line.quantity::bigint * line.unit_price_cents
       FROM placed, unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[])
         WITH ORDINALITY AS line (product_id, sku, name, quantity, unit_price_cents, no)
     )
     SELECT * FROM placed`

/**
 * Inserts an order and its lines in one statement (in the caller's transaction) and returns it as the API
 * shows it. One round trip matters here: the caller holds the products' row locks until it commits.
 */
export async function insertOrder (tx: Queryable, userId: string, lines: NewOrderLine[]): Promise<Order> {
  const items: OrderItem[] = lines.map((line) => ({ ...line, lineTotalCents: line.quantity * line.unitPriceCents }))
  const total = items.reduce((sum, item) => sum + item.lineTotalCents, 0)
  const { rows } = await tx.query<OrderRow>(
    INSERT_ORDER_SQL,
    [
      userId,
      String(total),
      lines.map((line) => line.productId),
      lines.map((line) => line.sku),
      lines.map((line) => line.name),
      lines.map((line) => line.quantity),
      lines.map((line) => line.unitPriceCents)
    ],
    { name: 'orders.insert' }
  )
  const order = rows[0]
  if (order === undefined) throw new Error('order insert returned no row')
  return toOrder(order, items)
}

/** One order the viewer may see; another customer's order is indistinguishable from a missing one. */
export async function findOrder (db: Queryable, id: string, viewer: Viewer, forUpdate = false): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 AND ($2::boolean OR user_id = $3)${forUpdate ? ' FOR UPDATE' : ''}`,
    [id, viewer.isAdmin, viewer.userId]
  )
  return (await withItems(db, rows))[0]
}

/** `ownerId` undefined: every order (admins without a filter). */
export async function countOrders (db: Queryable, ownerId: string | undefined): Promise<number> {
  const { rows } = await db.query<{ total: number }>(
    'SELECT count(*)::int AS total FROM orders WHERE ($1::uuid IS NULL OR user_id = $1)',
    [ownerId ?? null]
  )
  return rows[0]?.total ?? 0
}

export async function findOrders (db: Queryable, ownerId: string | undefined, limit: number, offset: number): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE ($1::uuid IS NULL OR user_id = $1)
     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [ownerId ?? null, limit, offset]
  )
  return withItems(db, rows)
}

export async function markCancelled (tx: Queryable, id: string): Promise<Order> {
  const { rows } = await tx.query<OrderRow>(
    `UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1 RETURNING ${ORDER_COLUMNS}`,
    [id]
  )
  const row = rows[0]
  if (row === undefined) throw new Error('cancelled order vanished')
  return (await withItems(tx, [row]))[0] ?? toOrder(row, [])
}
