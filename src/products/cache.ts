import type { Cache } from '../cache/types.js'

/** One cache entry per product; orders and cancellations drop the same keys when they move stock. */
export function productCacheKey (id: string): string {
  // UUIDs are case-insensitive in URLs but not in cache keys: /v1/products/ABC… and /abc… must share one entry.
  return `product:${id.toLowerCase()}`
}

/** Drops cached products; called after the write committed and before the response leaves. */
export async function forgetProducts (cache: Cache, ids: Iterable<string>): Promise<void> {
  const keys = [...new Set(ids)].map(productCacheKey)
  if (keys.length > 0) await cache.del(...keys)
}
