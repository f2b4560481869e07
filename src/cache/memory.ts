import { LRUCache } from 'lru-cache'
import type { Cache, CacheStats, ReadThroughSource } from './types.js'
import { localTier } from './local-tier.js'
import { decodeVersioned, encodeVersioned, mayFill, mayInvalidate } from './versioned.js'

/** Bounds memory on the embedded default; LRU evicts the coldest entries beyond it. */
export const MEMORY_CACHE_MAX_ENTRIES = 10_000

export function memoryCache (defaultTtlSeconds: number): Cache {
  // Values are stored serialized, like in Redis, so a caller can never mutate a cached object.
  const store = new LRUCache<string, string>({ max: MEMORY_CACHE_MAX_ENTRIES, ttl: defaultTtlSeconds * 1000 })
  // The only tier on the embedded default: one process, so every invalidation reaches it synchronously and the
  // full TTL applies. Prepared values are kept as made (frozen), so a hit costs a lookup.
  const tier = localTier({ max: MEMORY_CACHE_MAX_ENTRIES, ttlMs: defaultTtlSeconds * 1000 })
  const counters = { hits: 0, misses: 0, loads: 0 }
  const stats: CacheStats = {
    get hits () { return counters.hits + tier.stats.hits },
    get misses () { return counters.misses },
    errors: 0,
    forcedReconnects: 0,
    get localHits () { return counters.hits + tier.stats.hits },
    get loads () { return counters.loads },
    get joined () { return tier.stats.joined },
    invalidationsReceived: 0
  }
  return {
    kind: 'memory',
    stats,
    async del (...keys: string[]): Promise<void> {
      for (const key of keys) store.delete(key)
    },
    async incr (key: string, ttlSeconds: number): Promise<number | undefined> {
      const current = store.get(key)
      const count = current === undefined ? 1 : Number(JSON.parse(current)) + 1
      // Keep the window that the first increment opened; later increments must not extend it.
      const ttl = current === undefined ? ttlSeconds * 1000 : store.getRemainingTTL(key)
      store.set(key, JSON.stringify(count), { ttl })
      return count
    },
    async getVersioned<T>(key: string): Promise<T | undefined> {
      const raw = store.get(key)
      const json = raw === undefined ? '' : decodeVersioned(raw).json
      if (json === '') { counters.misses++; return undefined }
      counters.hits++
      return JSON.parse(json) as T
    },
    async fillVersion (key: string, value: unknown, version: number, ttlSeconds = defaultTtlSeconds): Promise<void> {
      if (mayFill(store.get(key), version)) store.set(key, encodeVersioned(version, value), { ttl: ttlSeconds * 1000 })
    },
    async invalidateVersion (key: string, version: number, ttlSeconds = defaultTtlSeconds): Promise<void> {
      tier.invalidate(key, version)
      if (mayInvalidate(store.get(key), version)) store.set(key, encodeVersioned(version), { ttl: ttlSeconds * 1000 })
    },
    // Not async: a hit returns the tier's promise as it is, without wrapping it in another.
    readThrough<S, P>(key: string, source: ReadThroughSource<S, P>): Promise<P | undefined> {
      return tier.read(key, async () => {
        counters.misses++
        counters.loads++
        const loaded = await source.load()
        return loaded === undefined ? undefined : { value: source.prepare(loaded.value, loaded.version), version: loaded.version }
      })
    },
    connected: () => true,
    localTierActive: () => true,
    async ping (): Promise<boolean> {
      return true
    }
  }
}
