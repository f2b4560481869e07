import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { Cache, CacheStats } from './types.js'

/**
 * ioredis options that make a Redis outage cost milliseconds instead of minutes (see PITFALLS.md):
 * no offline queue, one retry per command, a short connect timeout; reconnection continues in the background.
 */
export const REDIS_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  commandTimeout: 500,
  // Reconnect quickly at first, then every 2 s at most, forever.
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000)
} as const

/** INCR and, on the first increment only, EXPIRE, in one atomic step (a fixed window that later hits do not extend). */
const INCR_WITH_WINDOW = "local count = redis.call('INCR', KEYS[1]) if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return count"

export function redisCache (client: Redis, defaultTtlSeconds: number, log: FastifyBaseLogger): Cache {
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 }
  const failed = (operation: string, error: unknown) => {
    stats.errors++
    log.warn({ err: error, operation }, 'cache unavailable; treating as a miss')
  }
  return {
    kind: 'redis',
    stats,
    async get<T>(key: string): Promise<T | undefined> {
      try {
        const raw = await client.get(`cache:${key}`)
        if (raw === null) { stats.misses++; return undefined }
        stats.hits++
        return JSON.parse(raw) as T
      } catch (error) {
        failed('get', error)
        stats.misses++
        return undefined
      }
    },
    async set (key: string, value: unknown, ttlSeconds = defaultTtlSeconds): Promise<void> {
      try {
        await client.set(`cache:${key}`, JSON.stringify(value), 'EX', ttlSeconds)
      } catch (error) {
        failed('set', error)
      }
    },
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
    async ping (): Promise<boolean> {
      try {
        return (await client.ping()) === 'PONG'
      } catch {
        return false
      }
    }
  }
}
