import fp from 'fastify-plugin'
import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { AppError } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The per-client-IP limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW) as an onRequest hook. It is attached to
     * scopes, never matched against a URL string: the /v1 scope and every not-found handler use it (src/app.ts),
     * so no spelling of a path that reaches a route or a 404 escapes it.
     */
    clientRateLimit: onRequestAsyncHookHandler
    /**
     * An extra limit for some routes, on top of the per-client one: counted with its own key, answered with a
     * 429 problem of its own `slug` and `retry-after`. Its headers replace the per-client ones on the response,
     * since the stricter limit is the one the client must pace itself by.
     */
    extraRateLimit: (options: ExtraRateLimitOptions) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

export interface ExtraRateLimitOptions {
  max: number
  timeWindowMs: number
  /** The counter's key; the limiter's name is prefixed so two limits never share a counter. */
  key: (request: FastifyRequest) => string
  /** Problem type slug and detail of the 429. */
  slug: string
  detail: string
}

class RateLimitedError extends AppError {
  constructor (slug: string, detail: string, retryAfterSeconds: number) {
    super(429, slug, detail, {}, { 'retry-after': String(Math.max(1, retryAfterSeconds)) })
  }
}

/**
 * Rate limits: counters in Redis when REDIS_URL is set so replicas share them, in process memory otherwise.
 * When Redis fails the limit is skipped, not the request (skipOnError). The library is registered with
 * `global: false`: which requests are limited is decided by where `clientRateLimit` is attached.
 */
async function rateLimitPlugin (fastify: FastifyInstance) {
  const { config } = fastify
  await fastify.register(rateLimit, {
    global: false,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    ...(fastify.hasDecorator('redis') ? { redis: fastify.redis, nameSpace: 'rate-limit:' } : {}),
    skipOnError: true,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError('rate-limited', `Rate limit exceeded: ${context.max} requests per window; retry in ${context.after}`, Math.ceil(context.ttl / 1000))
  })

  fastify.decorate('clientRateLimit', fastify.rateLimit() as onRequestAsyncHookHandler)

  fastify.decorate('extraRateLimit', (options: ExtraRateLimitOptions) => {
    const limiterOptions: CreateRateLimitOptions = {
      max: options.max,
      timeWindow: options.timeWindowMs,
      keyGenerator: (request) => `${options.slug}:${options.key(request)}`
    }
    const check = fastify.createRateLimit(limiterOptions)
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const limit = await check(request)
      // Only allow-listed keys come back allowed outright, and these limiters have none.
      if (limit.isAllowed) return
      reply.headers({
        'ratelimit-limit': limit.max,
        'ratelimit-remaining': limit.remaining,
        'ratelimit-reset': limit.ttlInSeconds
      })
      if (limit.isExceeded) throw new RateLimitedError(options.slug, options.detail, limit.ttlInSeconds)
    }
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['config', 'cache'] })

/** @see https://github.com/fastify/fastify-rate-limit */
