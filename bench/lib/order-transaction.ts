/**
 * Scenario 3's transaction for pgbench: the statements the service runs for a one-line order without an
 * Idempotency-Key (src/orders/service.ts placeOrder: unlocked pre-check, lock, adjust stock, insert the order
 * and its lines in one statement), in its order. Where the service binds JS arrays, this builds one-element
 * arrays with ARRAY[...] from pgbench variables; \gset keeps the locked row's columns (:sku, :name, :price_cents)
 * for the insert. Keep it in step with src/orders/stock-repository.ts and src/orders/repository.ts.
 */
export function orderTransactionScript (): string {
  return `BEGIN;
SELECT id, sku, name, price_cents, stock FROM products
  WHERE id = ANY(ARRAY[:product_id]::uuid[]) AND archived_at IS NULL ORDER BY id;
SELECT id, sku, name, price_cents, stock FROM products
  WHERE id = ANY(ARRAY[:product_id]::uuid[]) AND archived_at IS NULL ORDER BY id FOR UPDATE \\gset
UPDATE products p
  SET stock = LEAST(p.stock::bigint + change.delta, 2147483647)::int, version = p.version + 1, updated_at = now()
  FROM unnest(ARRAY[:product_id]::uuid[], ARRAY[-1]::int[]) AS change (id, delta)
  WHERE p.id = change.id
  RETURNING p.id, p.version;
WITH placed AS (
  INSERT INTO orders (user_id, total_cents) VALUES (:user_id, (:price_cents)::bigint)
  RETURNING id, user_id, status, total_cents::text AS total_cents, created_at, updated_at
), lines AS (
  INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
  SELECT placed.id, line.no, line.product_id, line.sku, line.name, line.quantity, line.unit_price_cents,
         line.quantity::bigint * line.unit_price_cents
  FROM placed, unnest(ARRAY[:product_id]::uuid[], ARRAY[:sku]::text[], ARRAY[:name]::text[], ARRAY[1]::int[], ARRAY[:price_cents]::int[])
    WITH ORDINALITY AS line (product_id, sku, name, quantity, unit_price_cents, no)
)
SELECT * FROM placed;
COMMIT;
`
}
