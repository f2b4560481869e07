import type { Cache } from '../cache/types.js'
import type { ProductVersion } from './repository.js'
import { forgetCatalogLists } from './list-cache.js'

/** One cache entry per product; orders and cancellations drop the same keys when they move stock. */
export function productCacheKey (id: string): string {
  // UUIDs are case-insensitive in URLs but not in cache keys: /v1/products/ABC… and /abc… must share one entry.
  return `product:${id.toLowerCase()}`
}

/**
 * Invalidates cached products after a write committed, before the response leaves. The marker carries the
 * committed version, so a reader that fetched the row before the commit cannot put the old copy back.
 */
export async function forgetProducts (cache: Cache, written: Iterable<ProductVersion>): Promise<void> {
  const versions = [...written]
  // Lists show these products too: a change drops every cached page (a replay, which changed nothing, keeps them).
  await Promise.all([...versions.map(async ({ id, version }) => cache.invalidateVersion(productCacheKey(id), version)), versions.length > 0 && forgetCatalogLists(cache)])
}
