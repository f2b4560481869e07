import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/** Headers the browser may read from a cross-origin response. */
const EXPOSED_HEADERS = [
  'x-request-id', 'location', 'etag', 'retry-after', 'idempotent-replayed',
  'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'
]

async function securityPlugin (fastify: FastifyInstance) {
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        // Swagger UI at /docs inlines styles and shows data: images; nothing else needs more than 'self'.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // The API is often reached over plain http inside a cluster or on a laptop; don't rewrite asset URLs to https.
        'upgrade-insecure-requests': null
      }
    }
  })

  const origins = fastify.config.corsOrigins
  await fastify.register(cors, {
    // No CORS_ORIGINS means no cross-origin browser access at all; an unlisted origin is never echoed.
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'if-none-match', 'x-request-id'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600
  })
}

export default fp(securityPlugin, { name: 'security', dependencies: ['config'] })

/** @see https://github.com/fastify/fastify-helmet @see https://github.com/fastify/fastify-cors */
