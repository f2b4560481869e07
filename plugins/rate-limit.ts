import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../src/errors.js'

/**
 * Per-client-IP limits for /v1 (API.md): counters in Redis when REDIS_URL is set so replicas share them,
 * in process memory otherwise. When Redis fails the limit is skipped, not the request (skipOnError).
 */
async function rateLimitPlugin (fastify: FastifyInstance) {
  const { config } = fastify
  await fastify.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    ...(fastify.hasDecorator('redis') ? { redis: fastify.redis, nameSpace: 'rate-limit:' } : {}),
    skipOnError: true,
    enableDraftSpec: true,
    // Health probes, docs and metrics must answer whatever a client does to /v1.
    allowList: (request) => !request.url.startsWith('/v1/') && request.url !== '/v1',
    errorResponseBuilder: (_request, context) =>
      new AppError(context.statusCode, 'rate-limited', `Rate limit exceeded: ${context.max} requests per window; retry in ${context.after}`)
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['config', 'cache'] })

/** @see https://github.com/fastify/fastify-rate-limit */
