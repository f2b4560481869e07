import { PLACE_ORDER_SQL } from '../../src/orders/repository.js'

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
 * Scenario 3's statement for pgbench: what the service sends for a one-line order without an Idempotency-Key
 * (src/orders/service.ts placeOrder), one call of place_order in autocommit. The text is the repository's own
 * (PLACE_ORDER_SQL), so it cannot drift.
 */
export function orderTransactionScript (): string {
  return `${bound(PLACE_ORDER_SQL, [':user_id', 'ARRAY[:product_id]', 'ARRAY[1]', MAX_OPEN_UNITS, 'NULL', "''", CREATED])};\n`
}

/*
 * The previous order transaction, frozen as the service ran it before place_order (commit 2ac75f2,
 * src/orders/customer-lock-repository.ts and src/orders/repository.ts of that time): BEGIN, lock the customer and
 * peek at the stock, the one-statement placement, COMMIT; the customer's row lock held across three round trips, the
 * hot product's across two. Kept as a second pgbench reference, so a report shows the gain against both. The colons
 * of the time format are quoted literals (":"): pgbench would read :MI as one of its variables.
 */
const PREVIOUS_LOCK_CUSTOMER = `WITH customer AS (SELECT id FROM users WHERE id = $1::uuid FOR NO KEY UPDATE)
     SELECT w.product_id, w.quantity AS requested, p.stock AS available
     FROM customer
     CROSS JOIN unnest($2::uuid[], $3::int[]) WITH ORDINALITY AS w (product_id, quantity, no)
     LEFT JOIN products p ON p.id = w.product_id AND p.archived_at IS NULL
     ORDER BY w.no`

const PREVIOUS_PLACE_ORDER = `WITH wanted AS (
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
         'totalCents', total_cents, 'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"'), 'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"')) AS body
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

/** The previous transaction for pgbench. */
export function previousOrderTransactionScript (): string {
  const line = ['ARRAY[:product_id]', 'ARRAY[1]']
  return [
    'BEGIN;',
    `${bound(PREVIOUS_LOCK_CUSTOMER, [':user_id', ...line])};`,
    `${bound(PREVIOUS_PLACE_ORDER, [':user_id', ...line, MAX_OPEN_UNITS, 'NULL', CREATED])};`,
    'COMMIT;',
    ''
  ].join('\n')
}
