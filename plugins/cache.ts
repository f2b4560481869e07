import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import type { FastifyInstance } from 'fastify'
import { memoryCache, MEMORY_CACHE_MAX_ENTRIES } from '../src/cache/memory.js'
import { REDIS_CLIENT_OPTIONS, redisCache } from '../src/cache/redis.js'
import { watchRedis } from '../src/cache/redis-watchdog.js'
import { invalidationChannel, listenForInvalidations } from '../src/cache/invalidation-bus.js'
import { LOCAL_TIER_TTL_MS, localTier } from '../src/cache/local-tier.js'
import { tieredCache } from '../src/cache/tiered.js'
import type { Cache } from '../src/cache/types.js'
import { tracingOn } from '../src/tracing.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * get/set/del with TTLs on Redis (REDIS_URL) or in process memory; with Redis, hot reads (`readThrough`) are
     * also kept in process memory, which invalidation messages keep in step across replicas.
     */
    cache: Cache
  }
}

async function cachePlugin (fastify: FastifyInstance) {
  const { redis, cacheTtlSeconds } = fastify.config
  if (redis.url === undefined) {
    fastify.decorate('cache', memoryCache(cacheTtlSeconds))
    return
  }
  await fastify.register(fastifyRedis, {
    url: redis.url,
    // Every key this service writes (cache and rate-limit counters) lives under one prefix.
    keyPrefix: redis.keyPrefix,
    ...REDIS_CLIENT_OPTIONS,
    // Auto-pipelining sends the commands of concurrent requests as one batch, from the context of whichever
    // queued first: with tracing on, a request's Redis spans would land in another request's trace, or in none
    // (docs/tracing.md). Correct traces cost the batching; tracing off keeps it.
    ...(tracingOn() ? { enableAutoPipelining: false } : {})
  })
  // ioredis emits 'error' on every failed reconnect; log it rather than crash, and rely on its reconnection.
  fastify.redis.on('error', (error: Error) => { fastify.log.warn({ err: error }, 'redis connection error') })
  const watchdog = watchRedis(fastify.redis, fastify.log)
  const channel = invalidationChannel(redis.keyPrefix)
  const shared = redisCache(fastify.redis, cacheTtlSeconds, fastify.log, watchdog, { invalidationChannel: channel })

  // A subscribed connection can do nothing else, so invalidations get one of their own, with the same options.
  // Subscribing again after a reconnection is the bus's job: it must reset process memory at that moment.
  const subscriber = fastify.redis.duplicate({ autoResubscribe: false, enableAutoPipelining: false })
  subscriber.on('error', (error: Error) => { fastify.log.warn({ err: error }, 'redis subscriber connection error') })
  const subscriberWatchdog = watchRedis(subscriber, fastify.log)
  const tier = localTier({ max: MEMORY_CACHE_MAX_ENTRIES, ttlMs: LOCAL_TIER_TTL_MS, active: () => bus.live })
  const bus = listenForInvalidations(subscriber, channel, { invalidate: tier.invalidate, reset: tier.clear }, fastify.log)

  // Before @fastify/redis quits the client: a check must not find it closing and "reconnect" it.
  fastify.addHook('preClose', async () => {
    watchdog.stop()
    subscriberWatchdog.stop()
  })
  fastify.addHook('onClose', async () => { subscriber.disconnect() })
  fastify.decorate('cache', tieredCache(shared, tier, bus, subscriberWatchdog))
}

export default fp(cachePlugin, { name: 'cache', dependencies: ['config'] })

/** @see https://github.com/fastify/fastify-redis @see https://github.com/isaacs/node-lru-cache */
