import { PLACE_ORDER_SQL } from '../../src/orders/repository.js'
import { LOCK_CUSTOMER_SQL } from '../../src/orders/customer-lock-repository.js'

/**
 * A statement of the service with its `$n` parameters replaced by pgbench expressions (`values[n - 1]`). Where the
 * service binds JS arrays, the expressions build one-element arrays with ARRAY[...] from pgbench variables.
 */
function bound (sql: string, values: readonly string[]): string {
  return sql.replace(/\$(\d+)/g, (_match, n: string) => {
    const value = values[Number(n) - 1]
    if (value === undefined) throw new Error(`no pgbench value for $${n}`)
    return value
  })
}

/** The bench raises CUSTOMER_MAX_OPEN_UNITS to its ceiling (bench/run.ts): one customer places every order of a run. */
const MAX_OPEN_UNITS = '1000000000'
const CREATED = '201'

/**
 * Scenario 3's transaction for pgbench: the statements the service runs for a one-line order without an
 * Idempotency-Key (src/orders/service.ts placeOrder: lock the customer and peek at the stock, then the one-statement
 * placement), in its order. The statement text is the repositories' own (LOCK_CUSTOMER_SQL, PLACE_ORDER_SQL), so it
 * cannot drift.
 */
export function orderTransactionScript (): string {
  const line = ['ARRAY[:product_id]', 'ARRAY[1]']
  return [
    'BEGIN;',
    `${bound(LOCK_CUSTOMER_SQL, [':user_id', ...line])};`,
    `${bound(PLACE_ORDER_SQL, [':user_id', ...line, MAX_OPEN_UNITS, 'NULL', CREATED])};`,
    'COMMIT;',
    ''
  ].join('\n')
}

/*
 * The previous order transaction, frozen as the service ran it before the one-statement placement (commit c1eb96f,
 * src/orders/*-repository.ts and src/orders/repository.ts of that time): unlocked pre-check, customer lock, open-units
 * sum, products locked in id order, stock adjusted, order and lines inserted; six statements, the product lock held
 * across three round trips plus COMMIT, the customer lock across five. Kept as a second pgbench reference, so a
 * report shows the gain against both. (pgbench's script of that time left out the customer lock and the sum.)
 */
const PREVIOUS_LIVE_PRODUCTS = 'SELECT id, sku, name, price_cents, stock FROM products WHERE id = ANY($1::uuid[]) AND archived_at IS NULL ORDER BY id'
const PREVIOUS_LOCK_CUSTOMER = 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE'
const PREVIOUS_OPEN_UNITS = `SELECT coalesce(sum(i.quantity), 0)::text AS units
     FROM orders o JOIN order_items i ON i.order_id = o.id
     WHERE o.user_id = $1 AND o.status = 'placed'`
const PREVIOUS_ADJUST_STOCK = `UPDATE products p
     SET stock = LEAST(p.stock::bigint + change.delta, 2147483647)::int, version = p.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::int[]) AS change (id, delta)
     WHERE p.id = change.id
     RETURNING p.id, p.version`
const PREVIOUS_INSERT_ORDER = `WITH placed AS (
       INSERT INTO orders (user_id, total_cents) VALUES ($1, $2::bigint) RETURNING id, user_id, status, total_cents::text AS total_cents, created_at, updated_at
     ), lines AS (
       INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
       SELECT placed.id, line.no, line.product_id, line.sku, line.name, line.quantity, line.unit_price_cents,
              line.quantity::bigint * line.unit_price_cents
       FROM placed, unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[])
         WITH ORDINALITY AS line (product_id, sku, name, quantity, unit_price_cents, no)
     )
     SELECT * FROM placed`

/** The previous transaction for pgbench; \gset keeps the locked row's columns (:sku, :name, :price_cents) for the insert. */
export function previousOrderTransactionScript (): string {
  const ids = ['ARRAY[:product_id]']
  return [
    'BEGIN;',
    `${bound(PREVIOUS_LIVE_PRODUCTS, ids)};`,
    `${bound(PREVIOUS_LOCK_CUSTOMER, [':user_id'])};`,
    `${bound(PREVIOUS_OPEN_UNITS, [':user_id'])};`,
    `${bound(`${PREVIOUS_LIVE_PRODUCTS} FOR UPDATE`, ids)} \\gset`,
    `${bound(PREVIOUS_ADJUST_STOCK, [...ids, 'ARRAY[-1]'])};`,
    `${bound(PREVIOUS_INSERT_ORDER, [':user_id', '(:price_cents)', 'ARRAY[:product_id]', 'ARRAY[:sku]', 'ARRAY[:name]', 'ARRAY[1]', 'ARRAY[:price_cents]'])};`,
    'COMMIT;',
    ''
  ].join('\n')
}
