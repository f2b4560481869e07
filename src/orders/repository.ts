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

// Timestamps are formatted by PostgreSQL, in every read and in the order placement's stored response alike, so the
// answer to POST, its idempotent replay and a later GET agree to the character without depending on how each driver
// parses timestamptz. Milliseconds (truncated), the precision the API always answered with. The colons are quoted
// literals (":") because pgbench, which runs this text in the benchmarks, would read :MI as one of its variables.
const ISO_CREATED = 'to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"\')'
const ISO_UPDATED = 'to_char(updated_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"\')'
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

/** One line of an order as the placement statement reports it, in the client's line order. */
export interface LineStock {
  productId: string
  requested: number
  /** Stock of the live product (locked by the placement); undefined when the product is unknown or archived. */
  available: number | undefined
}

export interface PlacementOutcome {
  /** The order as answered and stored, or undefined when nothing was placed (see lines and openUnits for why). */
  order: Order | undefined
  lines: LineStock[]
  /** Units in the customer's placed orders before this one. */
  openUnits: number
  /** The products' versions after the stock was taken (none when nothing was placed), for cache invalidation. */
  written: ProductVersion[]
}

export interface PlacementRequest {
  userId: string
  /** In the client's order; ids lower-cased and distinct. */
  items: Array<{ productId: string, quantity: number }>
  maxOpenUnits: number
  /** The claimed Idempotency-Key whose row receives the response, if any. */
  idempotencyKey: string | undefined
  responseStatus: number
}

interface PlacementRow {
  product_id: string
  requested: number
  available: number | null
  version: number | null
  open_units: string
  body: Order | null
}

/**
 * Places an order in one statement, so the products' row locks are held for one server-side step plus COMMIT:
 * lock the live products (in id order, as every stock-moving transaction does, so none deadlock), read the
 * customer's open units (users.open_units), and only when every product is live, every line in stock and the open
 * units within $4, take the stock, add the units to the customer's open units, insert the order and its lines, and
 * store the response under the claimed idempotency key. Otherwise nothing is written and the rows say why. Every
 * line comes back with the stock seen under the lock.
 *
 * $1 user id, $2 product ids (client order), $3 quantities, $4 max open units, $5 the claimed idempotency key (or
 * NULL), $6 the response status to store with it.
 *
 * Why this is safe in one statement (READ COMMITTED): a row lock waited for returns the newest committed version
 * of the row, so the stock checked is the current one; the UPDATE follows the same rows to that version. The open
 * units are read with the statement's snapshot, which is current because the caller locked the customer in an
 * earlier statement (lockCustomer): every earlier order or cancellation of this customer committed before that lock
 * was granted, and changes the counter only under it.
 * `(SELECT ok FROM verdict)` is an uncorrelated subquery, so it gates each write before that write reads a row:
 * the products are locked in id order before the UPDATE touches any of them, and a refused order writes nothing.
 * The CHECK (stock >= 0) stays the last defence. Exported so the benchmarks run this very text (bench/lib).
 */
export const PLACE_ORDER_SQL = `WITH wanted AS (
       SELECT w.product_id, w.quantity, w.no
       FROM unnest($2::uuid[], $3::int[]) WITH ORDINALITY AS w (product_id, quantity, no)
     ), locked AS (
       SELECT p.id, p.sku, p.name, p.price_cents, p.stock
       FROM products p WHERE p.id = ANY($2::uuid[]) AND p.archived_at IS NULL
       ORDER BY p.id FOR UPDATE
     ), open_now AS (
       SELECT open_units::bigint AS units FROM users WHERE id = $1::uuid
     ), verdict AS (
       SELECT (SELECT count(*) FROM locked) = (SELECT count(*) FROM wanted)
          AND NOT EXISTS (SELECT 1 FROM wanted w JOIN locked l ON l.id = w.product_id WHERE l.stock < w.quantity)
          AND (SELECT units FROM open_now) + (SELECT sum(quantity) FROM wanted) <= $4::bigint AS ok
     ), taken AS (
       UPDATE products p SET stock = p.stock - w.quantity, version = p.version + 1, updated_at = now()
       FROM wanted w
       WHERE p.id = w.product_id AND (SELECT ok FROM verdict)
       RETURNING p.id, p.version
     ), counted AS (
       UPDATE users SET open_units = open_units + (SELECT sum(quantity) FROM wanted)
       WHERE id = $1::uuid AND (SELECT ok FROM verdict)
       RETURNING 1
     ), placed AS (
       INSERT INTO orders (user_id, total_cents)
       SELECT $1::uuid, (SELECT sum(w.quantity::bigint * l.price_cents) FROM wanted w JOIN locked l ON l.id = w.product_id)
       WHERE (SELECT ok FROM verdict)
       RETURNING id, user_id, status, total_cents, created_at, updated_at
     ), lines AS (
       INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
       SELECT placed.id, w.no, l.id, l.sku, l.name, w.quantity, l.price_cents, w.quantity::bigint * l.price_cents
       FROM placed, wanted w JOIN locked l ON l.id = w.product_id
       RETURNING line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents
     ), response AS (
       SELECT jsonb_build_object(
         'id', id, 'userId', user_id, 'status', status,
         'items', (SELECT jsonb_agg(jsonb_build_object(
             'productId', product_id, 'sku', sku, 'name', name, 'quantity', quantity,
             'unitPriceCents', unit_price_cents, 'lineTotalCents', line_total_cents) ORDER BY line_no) FROM lines),
         'totalCents', total_cents, 'createdAt', ${ISO_CREATED}, 'updatedAt', ${ISO_UPDATED}) AS body
       FROM placed
     ), stored AS (
       UPDATE idempotency_keys k SET response_status = $6::int, response_body = response.body
       FROM response WHERE k.user_id = $1::uuid AND k.key = $5::text
       RETURNING 1
     )
     SELECT w.product_id, w.quantity AS requested, l.stock AS available, taken.version,
            (SELECT units FROM open_now)::text AS open_units, (SELECT body FROM response) AS body
     FROM wanted w LEFT JOIN locked l ON l.id = w.product_id LEFT JOIN taken ON taken.id = w.product_id
     ORDER BY w.no`

export async function placeOrder (tx: Queryable, request: PlacementRequest): Promise<PlacementOutcome> {
  const { rows } = await tx.query<PlacementRow>(
    PLACE_ORDER_SQL,
    [
      request.userId,
      request.items.map((item) => item.productId),
      request.items.map((item) => item.quantity),
      request.maxOpenUnits,
      request.idempotencyKey ?? null,
      request.responseStatus
    ],
    { name: 'orders.place' }
  )
  const first = rows[0]
  if (first === undefined) throw new Error('order placement returned no row')
  return {
    order: first.body ?? undefined,
    lines: rows.map((row) => ({ productId: row.product_id, requested: row.requested, available: row.available ?? undefined })),
    openUnits: Number(first.open_units),
    written: rows.flatMap((row) => row.version === null ? [] : [{ id: row.product_id, version: row.version }])
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
