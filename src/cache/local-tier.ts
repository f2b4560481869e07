import { LRUCache } from 'lru-cache'

/**
 * How long a replica may serve a copy from its own memory without asking Redis again. It bounds staleness when an
 * invalidation message is lost or late (a silent subscriber is detected only after ~2 s of unanswered PINGs), and
 * it is counted from when the read that produced the copy *started*, so no copy outlives a write acknowledged
 * before that read by more than this, however slow the read was.
 */
export const LOCAL_TIER_TTL_MS = 1000

/** A value and the version of the row it was made from. */
export interface Versioned<T> {
  value: T
  version: number
}

export interface Clock { now: () => number }

export interface LocalTierOptions {
  max: number
  ttlMs: number
  /** False while invalidations from other replicas cannot arrive: then entries are neither served nor filled. */
  active?: () => boolean
  /** Tests pass a clock they move by hand; lru-cache reads the same one. */
  clock?: Clock
}

export interface LocalTierStats {
  /** Reads answered from this process's memory. */
  hits: number
  /** Reads that waited for the same key's read already under way instead of starting their own. */
  joined: number
}

export interface LocalTier {
  /**
   * The value of `key` from memory, else from `fetch` (the next tier). Concurrent reads of one key share one
   * fetch (single flight); a fetch's result is kept unless an invalidation of a newer version came first.
   */
  read: <T>(key: string, fetch: () => Promise<Versioned<T> | undefined>) => Promise<T | undefined>
  /** A write committed `version`: drops older copies, refuses older fills, and detaches the fetch under way. */
  invalidate: (key: string, version: number) => void
  /** Drops everything, and the results of every fetch under way (invalidations may have been missed). */
  clear: () => void
  active: () => boolean
  readonly stats: Readonly<LocalTierStats>
}

/** `value` undefined: a marker left by an invalidation (a miss that still refuses older fills). */
interface Entry { version: number, value: unknown }

const always = () => true

/**
 * The in-process tier: an LRU of prepared values (kept as they are, not serialized, so a hit costs a lookup),
 * under the same version rules as the shared entries (src/cache/versioned.ts).
 */
export function localTier (options: LocalTierOptions): LocalTier {
  const clock = options.clock ?? performance
  const active = options.active ?? always
  // ttlResolution 0: expiry is checked against the clock itself, not a copy of it up to 1 ms old, so the bound is exact.
  const store = new LRUCache<string, Entry>({ max: options.max, ttl: options.ttlMs, ttlResolution: 0, perf: clock })
  const flights = new Map<string, Promise<unknown>>()
  const stats: LocalTierStats = { hits: 0, joined: 0 }
  // Bumped by clear(): a fetch that started before it may carry what a missed invalidation would have dropped.
  let epoch = 0

  const fill = (key: string, fetched: Versioned<unknown>, startedAt: number, startEpoch: number) => {
    if (startEpoch !== epoch || !active()) return
    const ttl = Math.floor(options.ttlMs - (clock.now() - startedAt))
    if (ttl < 1) return
    const current = store.peek(key)
    if (current !== undefined && !(current.version < fetched.version || (current.version === fetched.version && current.value === undefined))) return
    store.set(key, { version: fetched.version, value: Object.freeze(fetched.value) }, { ttl })
  }

  const fetchAndFill = async <T>(key: string, fetch: () => Promise<Versioned<T> | undefined>): Promise<T | undefined> => {
    const startedAt = clock.now()
    const startEpoch = epoch
    const fetched = await fetch()
    if (fetched === undefined) return undefined
    fill(key, fetched, startedAt, startEpoch)
    return fetched.value
  }

  return {
    read<T>(key: string, fetch: () => Promise<Versioned<T> | undefined>): Promise<T | undefined> {
      if (active()) {
        const entry = store.get(key)
        if (entry?.value !== undefined) {
          stats.hits++
          return Promise.resolve(entry.value as T)
        }
      }
      const underway = flights.get(key)
      if (underway !== undefined) {
        stats.joined++
        return underway as Promise<T | undefined>
      }
      const flight = fetchAndFill(key, fetch)
      flights.set(key, flight)
      // Only the flight that is still registered may unregister itself: an invalidation may have replaced it.
      const land = () => { if (flights.get(key) === flight) flights.delete(key) }
      flight.then(land, land)
      return flight
    },
    invalidate (key: string, version: number): void {
      // Readers from now on start a read of their own: the one under way may have read the row before this write.
      flights.delete(key)
      const current = store.peek(key)
      if (current === undefined || current.version <= version) store.set(key, { version, value: undefined })
    },
    clear (): void {
      epoch++
      flights.clear()
      store.clear()
    },
    active,
    stats
  }
}
