import type { Cache } from '../cache/types.js'
import type { ProductRecord, ProductVersion } from './repository.js'
import { productEtag } from './etag.js'
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

/** Serialized bytes, in whichever form the caller's serializer makes them. */
export type SerializedBody = string | Buffer | ArrayBuffer

/** A product as a read answers it: its strong ETag and its body, serialized once per cache fill, not per read. */
export interface PreparedProduct {
  readonly etag: string
  readonly body: SerializedBody
}

/**
 * The product from the cache, else from `load` (one database read per key at a time, however many requests wait).
 * Redis keeps the record as before (JSON, so replicas of an older release still read it); process memory keeps
 * it prepared by `serialize`, the caller's representation of a product.
 */
export async function readProduct (
  cache: Cache, id: string, load: () => Promise<ProductRecord | undefined>, serialize: (product: ProductRecord) => SerializedBody
): Promise<PreparedProduct | undefined> {
  return cache.readThrough<ProductRecord, PreparedProduct>(productCacheKey(id), {
    load: async () => {
      const product = await load()
      return product === undefined ? undefined : { value: product, version: product.version }
    },
    prepare: (product) => ({ etag: productEtag(product), body: serialize(product) })
  })
}
