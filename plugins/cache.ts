import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import type { FastifyInstance } from 'fastify'
import { memoryCache } from '../src/cache/memory.js'
import { REDIS_CLIENT_OPTIONS, redisCache } from '../src/cache/redis.js'
import { watchRedis } from '../src/cache/redis-watchdog.js'
import type { Cache } from '../src/cache/types.js'
import { tracingOn } from '../src/tracing.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** get/set/del with TTLs on Redis (REDIS_URL) or in process memory. */
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
  // Before @fastify/redis quits the client: a check must not find it closing and "reconnect" it.
  fastify.addHook('preClose', async () => { watchdog.stop() })
  fastify.decorate('cache', redisCache(fastify.redis, cacheTtlSeconds, fastify.log, watchdog))
}

export default fp(cachePlugin, { name: 'cache', dependencies: ['config'] })

/** @see https://github.com/fastify/fastify-redis @see https://github.com/isaacs/node-lru-cache */
