import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { Cache } from './types.js'
import type { RedisWatchdog } from './redis-watchdog.js'
import { encodeInvalidation } from './invalidation-bus.js'
import { decodeVersioned, FILL_VERSION_LUA, INVALIDATE_VERSION_LUA } from './versioned.js'

/**
 * ioredis options that make a Redis outage cost milliseconds instead of minutes (docs/library-defaults.md):
 * no offline queue, one retry per command, a short connect timeout; reconnection continues in the background.
 */
export const REDIS_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  commandTimeout: 500,
  // Commands issued in the same event-loop turn (rate-limit counter, cache reads of concurrent requests) go out
  // in one socket write: one write syscall per command cost ~25 % of the CPU of a cached product read.
  enableAutoPipelining: true,
  // Reconnect quickly at first, then every 2 s at most, forever.
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000)
} as const

/** INCR and, on the first increment only, EXPIRE, in one atomic step (a fixed window that later hits do not extend). */
const INCR_WITH_WINDOW = "local count = redis.call('INCR', KEYS[1]) if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return count"

export interface SharedStoreStats {
  hits: number
  misses: number
  errors: number
  forcedReconnects: number
}

/** Redis, the tier every replica shares (src/cache/tiered.ts puts process memory in front of it). */
export interface SharedStore extends Omit<Cache, 'readThrough' | 'localTierActive' | 'stats'> {
  /** The stored entry with its version; undefined on a miss, a marker or a failure (each counted as a miss). */
  readEntry(key: string): Promise<{ version: number, json: string } | undefined>
  readonly stats: Readonly<SharedStoreStats>
}

export interface RedisCacheOptions {
  /** Where invalidations are published (src/cache/invalidation-bus.ts); none: no replica keeps copies in memory. */
  invalidationChannel?: string
}

export function redisCache (
  client: Redis, defaultTtlSeconds: number, log: FastifyBaseLogger, watchdog?: RedisWatchdog, options: RedisCacheOptions = {}
): SharedStore {
  const counters = { hits: 0, misses: 0, errors: 0 }
  const stats: SharedStoreStats = {
    get hits () { return counters.hits },
    get misses () { return counters.misses },
    get errors () { return counters.errors },
    get forcedReconnects () { return watchdog?.forcedReconnects ?? 0 }
  }
  const failed = (operation: string, error: unknown) => {
    counters.errors++
    log.warn({ err: error, operation }, 'cache unavailable; treating as a miss')
  }
  /** The raw stored string, or undefined on a miss or a failure (a failure counts as a miss). */
  const read = async (key: string, operation: string): Promise<string | undefined> => {
    try {
      return (await client.get(`cache:${key}`)) ?? undefined
    } catch (error) {
      failed(operation, error)
      return undefined
    }
  }
  const readEntry = async (key: string) => {
    const raw = await read(key, 'getVersioned')
    const entry = raw === undefined ? undefined : decodeVersioned(raw)
    if (entry === undefined || entry.json === '') { counters.misses++; return undefined }
    counters.hits++
    return entry
  }
  const runScript = async (operation: string, script: string, key: string, ...args: Array<string | number>) => {
    try {
      await client.eval(script, 1, `cache:${key}`, ...args)
    } catch (error) {
      failed(operation, error)
    }
  }
  return {
    kind: 'redis',
    stats,
    async del (...keys: string[]): Promise<void> {
      if (keys.length === 0) return
      try {
        await client.del(...keys.map((key) => `cache:${key}`))
      } catch (error) {
        failed('del', error)
      }
    },
    async incr (key: string, ttlSeconds: number): Promise<number | undefined> {
      try {
        const count = await client.eval(INCR_WITH_WINDOW, 1, `cache:${key}`, ttlSeconds)
        return typeof count === 'number' ? count : undefined
      } catch (error) {
        failed('incr', error)
        return undefined
      }
    },
    readEntry,
    async getVersioned<T>(key: string): Promise<T | undefined> {
      const entry = await readEntry(key)
      return entry === undefined ? undefined : JSON.parse(entry.json) as T
    },
    async fillVersion (key: string, value: unknown, version: number, ttlSeconds = defaultTtlSeconds): Promise<void> {
      await runScript('fillVersion', FILL_VERSION_LUA, key, version, JSON.stringify(value), ttlSeconds)
    },
    async invalidateVersion (key: string, version: number, ttlSeconds = defaultTtlSeconds): Promise<void> {
      const { invalidationChannel } = options
      if (invalidationChannel === undefined) await runScript('invalidateVersion', INVALIDATE_VERSION_LUA, key, version, ttlSeconds)
      else await runScript('invalidateVersion', INVALIDATE_VERSION_LUA, key, version, ttlSeconds, invalidationChannel, encodeInvalidation(key, version))
    },
    connected: () => client.status === 'ready',
    async ping (): Promise<boolean> {
      try {
        return (await client.ping()) === 'PONG'
      } catch {
        return false
      }
    }
  }
}
