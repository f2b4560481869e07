import fp from 'fastify-plugin'
import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../src/errors.js'
import { policyField, stateField, type PolicyState } from '../src/rate-limit-fields.js'
import { SharedCounters } from '../src/rate-limit-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The per-client-IP limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW, policy "default") as a hook. It is attached
     * to scopes, never matched against a URL string: the /v1 scope and every not-found handler use it
     * (src/app.ts), so no spelling of a path that reaches a route or a 404 escapes it.
     */
    clientRateLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /**
     * An extra limit for some routes, on top of the per-client one: counted with its own key, answered with a
     * 429 problem of its own `slug` and `retry-after`, and listed as its own `policy` in the RateLimit fields.
     */
    extraRateLimit: (options: ExtraRateLimitOptions) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

export interface ExtraRateLimitOptions {
  /** Its name in the RateLimit-Policy and RateLimit fields. */
  policy: string
  max: number
  timeWindowMs: number
  /** The counter's key; the limiter's name is prefixed so two limits never share a counter. */
  key: (request: FastifyRequest) => string
  /** Problem type slug and detail of the 429. */
  slug: string
  detail: string
}

/** What a limiter made by createRateLimit answers (the library names no type for it). */
type RateLimitResult = Awaited<ReturnType<ReturnType<FastifyInstance['createRateLimit']>>>

/** The policy name of the per-client limit. */
export const CLIENT_POLICY = 'default'

class RateLimitedError extends AppError {
  constructor (slug: string, detail: string, retryAfterSeconds: number) {
    super(429, slug, detail, {}, { retryAfterSeconds: Math.max(1, retryAfterSeconds) })
  }
}

/** The policies each request was counted against so far, in order; the fields list all of them. */
const counted = new WeakMap<FastifyRequest, PolicyState[]>()

/**
 * Records one counted policy and rewrites both fields. A counter that could not be read (Redis down,
 * skipOnError) reports no ttl: that policy is left out rather than announced with made-up figures.
 */
function announce (request: FastifyRequest, reply: FastifyReply, name: string, limit: RateLimitResult): void {
  if (limit.isAllowed || limit.ttl <= 0) return
  const policies = counted.get(request) ?? []
  policies.push({
    name,
    quota: limit.max,
    windowSeconds: Math.ceil(limit.timeWindow / 1000),
    remaining: limit.remaining,
    resetSeconds: limit.ttlInSeconds
  })
  counted.set(request, policies)
  reply.header('ratelimit-policy', policyField(policies)).header('ratelimit', stateField(policies))
}

/**
 * Rate limits: counters in Redis when REDIS_URL is set so replicas share them (each replica answers a bounded
 * share from memory between counts: src/rate-limit-store.ts), in process memory otherwise.
 * When Redis fails the limit is skipped, not the request (skipOnError). The library counts (createRateLimit);
 * this plugin decides where limits apply (the hooks below, attached by scope) and writes the current draft's
 * RateLimit-Policy and RateLimit fields itself, which @fastify/rate-limit 11 cannot.
 */
async function rateLimitPlugin (fastify: FastifyInstance) {
  const { config } = fastify
  const sharedCounters = fastify.hasDecorator('redis') ? new SharedCounters({ redis: fastify.redis, nameSpace: 'rate-limit:' }) : undefined
  if (sharedCounters !== undefined) fastify.addHook('onClose', async () => { sharedCounters.close() })
  await fastify.register(rateLimit, {
    global: false,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    ...(sharedCounters !== undefined ? { store: sharedCounters.store() } : {}),
    skipOnError: true
  })

  const checkClient = fastify.createRateLimit()
  fastify.decorate('clientRateLimit', async (request: FastifyRequest, reply: FastifyReply) => {
    // A request is counted once, even if two hooks of its path (a scope's and a not-found handler's) ask.
    if (counted.get(request)?.some((policy) => policy.name === CLIENT_POLICY) === true) return
    const limit = await checkClient(request)
    // In memory the count is known at once, but the answer waits for the event loop's next turn, as the shared
    // store's answers do: the requests read in one turn then go on and are answered together, which costs less
    // per response than answering each in the middle of the reads (bench/README.md: the cached read 1.30x, the
    // list 1.37x on the embedded default). Deferring every request in a hook of its own deferred the shared
    // store's answers twice and cost 0.84x on PostgreSQL + Redis.
    if (sharedCounters === undefined) await new Promise<void>((resolve) => { setImmediate(resolve) })
    announce(request, reply, CLIENT_POLICY, limit)
    if (!limit.isAllowed && limit.isExceeded) {
      throw new RateLimitedError('rate-limited', `Rate limit exceeded: ${limit.max} requests per window; retry in ${limit.ttlInSeconds} s`, limit.ttlInSeconds)
    }
  })

  fastify.decorate('extraRateLimit', (options: ExtraRateLimitOptions) => {
    const limiterOptions: CreateRateLimitOptions = {
      max: options.max,
      timeWindow: options.timeWindowMs,
      keyGenerator: (request) => `${options.slug}:${options.key(request)}`
    }
    const check = fastify.createRateLimit(limiterOptions)
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const limit = await check(request)
      announce(request, reply, options.policy, limit)
      // Only allow-listed keys come back allowed outright, and these limiters have none.
      if (!limit.isAllowed && limit.isExceeded) throw new RateLimitedError(options.slug, options.detail, limit.ttlInSeconds)
    }
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['config', 'cache'] })

/**
 * @see https://github.com/fastify/fastify-rate-limit
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 */
