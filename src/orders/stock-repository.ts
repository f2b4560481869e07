import type { Queryable } from '../database/types.js'
import type { ProductVersion } from '../products/repository.js'

export interface LockedProduct {
  id: string
  sku: string
  name: string
  priceCents: number
  stock: number
}

interface StockRow { id: string, sku: string, name: string, price_cents: number, stock: number }

/**
 * The statements of an order's stock steps, exported so the benchmarks (bench/lib/order-transaction.ts,
 * bench/baselines/express-orders.ts) run this very text rather than a copy. $1 ids; adjust: $2 deltas.
 */
const LIVE_PRODUCTS = 'SELECT id, sku, name, price_cents, stock FROM products WHERE id = ANY($1::uuid[]) AND archived_at IS NULL ORDER BY id'
export const STOCK_SQL = {
  readLiveProducts: LIVE_PRODUCTS,
  lockLiveProducts: `${LIVE_PRODUCTS} FOR UPDATE`,
  adjustStock: `UPDATE products p
     SET stock = LEAST(p.stock::bigint + change.delta, 2147483647)::int, version = p.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::int[]) AS change (id, delta)
     WHERE p.id = change.id
     RETURNING p.id, p.version`
} as const

function toLocked (row: StockRow): LockedProduct {
  return { id: row.id, sku: row.sku, name: row.name, priceCents: row.price_cents, stock: row.stock }
}

/** The live products among `ids` as last committed, without locking: a cheap early answer for hopeless orders. */
export async function readLiveProducts (tx: Queryable, ids: string[]): Promise<LockedProduct[]> {
  const { rows } = await tx.query<StockRow>(STOCK_SQL.readLiveProducts, [ids], { name: 'stock.read-live-products' })
  return rows.map(toLocked)
}

/**
 * Locks the live products among `ids`, always in id order: two transactions wanting the same rows take them
 * in the same sequence, so they queue instead of deadlocking (PostgreSQL applies FOR UPDATE after the sort).
 */
export async function lockLiveProducts (tx: Queryable, ids: string[]): Promise<LockedProduct[]> {
  const { rows } = await tx.query<StockRow>(STOCK_SQL.lockLiveProducts, [ids], { name: 'stock.lock-live-products' })
  return rows.map(toLocked)
}

/** Same lock order as above, archived products included: a cancellation gives their stock back as well. */
export async function lockProductsForRestock (tx: Queryable, ids: string[]): Promise<void> {
  await tx.query('SELECT id FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids])
}

/**
 * Adds `deltas[i]` to the stock of `ids[i]` (negative takes). The rows must already be locked by this
 * transaction; the CHECK (stock >= 0) is the last line of defence against overselling.
 * Restocking saturates at the integer maximum rather than failing a cancellation.
 */
export async function adjustStock (tx: Queryable, ids: string[], deltas: number[]): Promise<ProductVersion[]> {
  const { rows } = await tx.query<ProductVersion>(
    STOCK_SQL.adjustStock,
    [ids, deltas],
    { name: 'stock.adjust' }
  )
  return rows
}
