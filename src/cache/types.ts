import type { CacheKind } from '../../schemas/health.js'
import type { Versioned } from './local-tier.js'

export type { Versioned } from './local-tier.js'

export interface CacheStats {
  /** Lookups answered by a cache tier, process memory or Redis. */
  hits: number
  misses: number
  errors: number
  /** Connections to the store dropped because it stopped answering (src/cache/redis-watchdog.ts). */
  forcedReconnects: number
  /** Hits answered from process memory, without a round trip (part of `hits`). */
  localHits: number
  /** Reads of the source of truth by `readThrough` after every tier missed. */
  loads: number
  /** `readThrough` lookups that waited for the same key's read already under way instead of starting their own. */
  joined: number
  /** Invalidation messages received from the replicas' writes (0 without Redis: there is no one to hear from). */
  invalidationsReceived: number
}

/** How `readThrough` fills a key that no tier holds. */
export interface ReadThroughSource<S, P> {
  /** Reads the source of truth; undefined when there is nothing to cache (e.g. no such row). */
  load: () => Promise<Versioned<S> | undefined>
  /**
   * Turns the stored value (what Redis keeps, as JSON) into what readers get, e.g. its serialized bytes: run once
   * per fill of the process's memory, never per hit. One key has one preparation: concurrent readers share it.
   */
  prepare: (value: S, version: number) => P
}

/** A JSON value store with TTLs; a failure is a miss, never an error for the caller. */
export interface Cache {
  readonly kind: CacheKind
  /** Counters and plain entries; versioned entries are dropped with `invalidateVersion`, which reaches every replica. */
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
   * `getVersioned` reads the shared store only (Redis when set): no process-memory copy, so no added staleness.
   */
  getVersioned<T>(key: string): Promise<T | undefined>
  fillVersion(key: string, value: unknown, version: number, ttlSeconds?: number): Promise<void>
  /** Also drops the key from the process memory of this replica at once and of every other one by a message. */
  invalidateVersion(key: string, version: number, ttlSeconds?: number): Promise<void>
  /**
   * The hot read path: process memory, then Redis (when set), then `source.load`, with one read per key at a time
   * however many requests wait for it, and the same version rules. A memory hit makes no round trip; the copy is at
   * most LOCAL_TIER_TTL_MS older than Redis (src/cache/local-tier.ts). The value is shared: never mutate it.
   */
  readThrough<S, P>(key: string, source: ReadThroughSource<S, P>): Promise<P | undefined>
  /** Whether the store's connection is up right now, without a round trip (metrics read it at scrape time). */
  connected(): boolean
  /** Whether process memory serves reads right now (false while invalidation messages cannot arrive). */
  localTierActive(): boolean
  /** Round-trip check for readiness: true when the store answers. */
  ping(): Promise<boolean>
  readonly stats: Readonly<CacheStats>
}
