import type { CacheKind } from '../../schemas/health.js'

export interface CacheStats {
  hits: number
  misses: number
  errors: number
  /** Connections to the store dropped because it stopped answering (src/cache/redis-watchdog.ts). */
  forcedReconnects: number
}

/** A JSON value store with TTLs; a failure is a miss, never an error for the caller. */
export interface Cache {
  readonly kind: CacheKind
  del(...keys: string[]): Promise<void>
  /**
   * Adds 1 to a counter and returns the new value; the first increment starts its TTL (a fixed window).
   * undefined when the store failed: callers must then not limit, as with a miss.
   */
  incr(key: string, ttlSeconds: number): Promise<number | undefined>
  /**
   * Versioned entries close the read-through race: a reader that missed, read the database, and fills the
   * cache after a writer invalidated would otherwise store a value older than that write.
   * `invalidateVersion` leaves a marker for `version`; `fillVersion` refuses anything older than what is there.
   */
  getVersioned<T>(key: string): Promise<T | undefined>
  fillVersion(key: string, value: unknown, version: number, ttlSeconds?: number): Promise<void>
  invalidateVersion(key: string, version: number, ttlSeconds?: number): Promise<void>
  /** Whether the store's connection is up right now, without a round trip (metrics read it at scrape time). */
  connected(): boolean
  /** Round-trip check for readiness: true when the store answers. */
  ping(): Promise<boolean>
  readonly stats: Readonly<CacheStats>
}
