import type { Cache, CacheStats, ReadThroughSource } from './types.js'
import type { LocalTier } from './local-tier.js'
import type { SharedStore } from './redis.js'
import type { InvalidationBus } from './invalidation-bus.js'
import type { RedisWatchdog } from './redis-watchdog.js'

/**
 * Process memory (L1) in front of Redis (L2). Counters, `getVersioned` and `fillVersion` go to Redis as before:
 * only `readThrough` keeps copies in memory, and `invalidateVersion` drops them here at once and, by the message its
 * script publishes, on every replica.
 */
export function tieredCache (shared: SharedStore, tier: LocalTier, bus: InvalidationBus, subscriberWatchdog?: RedisWatchdog): Cache {
  let loads = 0
  const stats: CacheStats = {
    get hits () { return shared.stats.hits + tier.stats.hits },
    get misses () { return shared.stats.misses },
    get errors () { return shared.stats.errors },
    get forcedReconnects () { return shared.stats.forcedReconnects + (subscriberWatchdog?.forcedReconnects ?? 0) },
    get localHits () { return tier.stats.hits },
    get loads () { return loads },
    get joined () { return tier.stats.joined },
    get invalidationsReceived () { return bus.received }
  }
  const fetchShared = async <S, P>(key: string, source: ReadThroughSource<S, P>) => {
    const entry = await shared.readEntry(key)
    if (entry !== undefined) return { value: source.prepare(JSON.parse(entry.json) as S, entry.version), version: entry.version }
    loads++
    const loaded = await source.load()
    if (loaded === undefined) return undefined
    await shared.fillVersion(key, loaded.value, loaded.version)
    return { value: source.prepare(loaded.value, loaded.version), version: loaded.version }
  }
  return {
    kind: shared.kind,
    stats,
    del: shared.del,
    incr: shared.incr,
    getVersioned: shared.getVersioned,
    fillVersion: shared.fillVersion,
    async invalidateVersion (key: string, version: number, ttlSeconds?: number): Promise<void> {
      // Here first and synchronously: this replica's next read cannot find the old copy, whatever Redis does.
      tier.invalidate(key, version)
      await shared.invalidateVersion(key, version, ttlSeconds)
    },
    // Not async: a hit returns the tier's promise as it is, without wrapping it in another.
    readThrough<S, P>(key: string, source: ReadThroughSource<S, P>): Promise<P | undefined> {
      return tier.read(key, async () => fetchShared(key, source))
    },
    connected: shared.connected,
    localTierActive: () => tier.active(),
    ping: shared.ping
  }
}
