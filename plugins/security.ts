import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/** Headers the browser may read from a cross-origin response; joined once here, not by @fastify/cors per response. */
const EXPOSED_HEADERS = [
  'x-request-id', 'location', 'etag', 'retry-after', 'idempotent-replayed',
  'ratelimit-policy', 'ratelimit'
].join(', ')

/** The helmet options every answer's headers come from; test/plugins/security.test.ts checks them against @fastify/helmet. */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    directives: {
      // Swagger UI at /docs inlines styles and shows data: images; nothing else needs more than 'self'.
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      // The API is often reached over plain http inside a cluster or on a laptop; don't rewrite asset URLs to https.
      'upgrade-insecure-requests': null
    }
  }
} satisfies HelmetOptions

type HeaderValue = Parameters<ServerResponse['setHeader']>[1]

/**
 * The headers helmet sets for these options, computed once. They depend on the options only (no nonces, no
 * per-request directive functions), yet @fastify/helmet rebuilds helmet's middleware, CSP parsing included, on
 * every request: ~8 % of the CPU of a cached product read (bench/README.md, optimisation log).
 */
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    // Lower-case, as Fastify keeps reply headers. helmet's values are single strings; a list would go on the
    // wire comma-joined, as String() gives it.
    setHeader (name: string, value: HeaderValue) { headers[name.toLowerCase()] = String(value) },
    // helmet removes X-Powered-By, which neither Node nor Fastify ever sets.
    removeHeader () {}
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error
  })
  return headers
}

async function securityPlugin (fastify: FastifyInstance) {
  const headers = helmetHeaders(HELMET_OPTIONS)
  // Set first thing, so error and 404 answers carry them too. Into Fastify's reply headers, not with
  // reply.raw.setHeader: one raw setHeader moves Node's writeHead to its slow path, which re-validates and
  // stores every other header of the response too (bench/README.md, optimisation log).
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
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

/** @see https://helmetjs.github.io @see https://github.com/fastify/fastify-cors */
