import { INSERT_ORDER_SQL } from '../../src/orders/repository.js'
import { STOCK_SQL } from '../../src/orders/stock-repository.js'

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

/**
 * Scenario 3's transaction for pgbench: the statements the service runs for a one-line order without an
 * Idempotency-Key (src/orders/service.ts placeOrder: unlocked pre-check, lock, adjust stock, insert the order
 * and its lines in one statement), in its order. The statement text is the repositories' own
 * (src/orders/stock-repository.ts STOCK_SQL, src/orders/repository.ts INSERT_ORDER_SQL), so it cannot drift;
 * \gset keeps the locked row's columns (:sku, :name, :price_cents) for the insert.
 */
export function orderTransactionScript (): string {
  const ids = ['ARRAY[:product_id]']
  return [
    'BEGIN;',
    `${bound(STOCK_SQL.readLiveProducts, ids)};`,
    `${bound(STOCK_SQL.lockLiveProducts, ids)} \\gset`,
    `${bound(STOCK_SQL.adjustStock, [...ids, 'ARRAY[-1]'])};`,
    `${bound(INSERT_ORDER_SQL, [':user_id', '(:price_cents)', 'ARRAY[:product_id]', 'ARRAY[:sku]', 'ARRAY[:name]', 'ARRAY[1]', 'ARRAY[:price_cents]'])};`,
    'COMMIT;',
    ''
  ].join('\n')
}
