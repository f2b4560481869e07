import type { Queryable } from '../database/types.js'
import type { Order, OrderItem, OrderStatus } from '../../schemas/order.js'
import type { ProductVersion } from '../products/repository.js'

interface OrderRow {
  id: string
  user_id: string
  status: OrderStatus
  total_cents: string
  created_at: string
  updated_at: string
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

// Timestamps are formatted by PostgreSQL, in every read and in the placement's response (place_order, migration 006)
// alike, so the answer to POST, its idempotent replay and a later GET agree to the character without depending on how
// each driver parses timestamptz. Milliseconds (truncated), the precision the API always answered with.
const ISO_CREATED = 'to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'
const ISO_UPDATED = 'to_char(updated_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'
// bigint sums arrive as text (pg) or BigInt (PGlite); reading them as text gives one path. Values stay far
// below 2^53 (50 lines × 1000 units × 2^31 cents), so Number() is exact.
const ORDER_COLUMNS = `id, user_id, status, total_cents::text AS total_cents, ${ISO_CREATED} AS created_at, ${ISO_UPDATED} AS updated_at`
const ITEM_COLUMNS = 'order_id, product_id, sku, name, quantity, unit_price_cents, line_total_cents::text AS line_total_cents'

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
    createdAt: row.created_at,
    updatedAt: row.updated_at
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

/** One line of an order as the placement reports it, in the client's line order. */
export interface LineStock {
  productId: string
  requested: number
  /** Stock of the live product as the placement saw it; undefined when the product is unknown or archived. */
  available: number | undefined
}

/** What the placement function (place_order, migration 006) did; every outcome but 'placed' wrote nothing. */
export type PlacementOutcome =
  | {
    kind: 'placed'
    order: Order
    /** The products' versions after the stock was taken, for cache invalidation. */
    written: ProductVersion[]
  }
  | {
    kind: 'refused'
    lines: LineStock[]
    /** Units in the customer's placed orders before this one; undefined when stock alone refused it, unlocked. */
    openUnits: number | undefined
  }
  | { kind: 'no-customer' }
  /** The Idempotency-Key was taken: its stored request hash and response (status null: not answered yet). */
  | { kind: 'replay', requestHash: string, status: number | null, body: unknown }
  /** The Idempotency-Key was taken, but its row was gone when read (purged in between). */
  | { kind: 'key-vanished' }

export interface PlacementRequest {
  userId: string
  /** In the client's order; ids lower-cased and distinct. */
  items: Array<{ productId: string, quantity: number }>
  maxOpenUnits: number
  /** The Idempotency-Key to claim and to store the response under, if any. */
  idempotencyKey: string | undefined
  requestHash: string
  responseStatus: number
}

interface PlacementRow {
  outcome: 'placed' | 'refused' | 'no-customer' | 'replay'
  product_id: string | null
  requested: number | null
  available: number | null
  version: number | null
  open_units: string | null
  body: unknown
  stored_hash: string | null
  stored_status: number | null
}

/**
 * One statement in autocommit: the key claim, customer lock, stock check and placement run server-side in
 * place_order (migrations/006.do.place-order.sql), so no row lock is held across a network round trip.
 * $1 user id, $2 product ids (client order), $3 quantities, $4 max open units, $5 the Idempotency-Key (or NULL),
 * $6 the request hash stored with it, $7 the response status to store. Exported so the benchmarks run this very text.
 */
export const PLACE_ORDER_SQL = 'SELECT * FROM place_order($1::uuid, $2::uuid[], $3::int[], $4::bigint, $5::text, $6::text, $7::int)'

function lineOf (row: PlacementRow): LineStock {
  return { productId: row.product_id ?? '', requested: row.requested ?? 0, available: row.available ?? undefined }
}

export async function placeOrder (db: Queryable, request: PlacementRequest): Promise<PlacementOutcome> {
  const { rows } = await db.query<PlacementRow>(
    PLACE_ORDER_SQL,
    [
      request.userId,
      request.items.map((item) => item.productId),
      request.items.map((item) => item.quantity),
      request.maxOpenUnits,
      request.idempotencyKey ?? null,
      request.requestHash,
      request.responseStatus
    ],
    { name: 'orders.place' }
  )
  const first = rows[0]
  if (first === undefined) return { kind: 'key-vanished' }
  switch (first.outcome) {
    case 'replay':
      return { kind: 'replay', requestHash: first.stored_hash ?? '', status: first.stored_status, body: first.body }
    case 'no-customer':
      return { kind: 'no-customer' }
    case 'refused':
      return { kind: 'refused', lines: rows.map(lineOf), openUnits: first.open_units === null ? undefined : Number(first.open_units) }
    case 'placed':
      return {
        kind: 'placed',
        order: first.body as Order,
        written: rows.flatMap((row) => row.version === null || row.product_id === null ? [] : [{ id: row.product_id, version: row.version }])
      }
  }
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
