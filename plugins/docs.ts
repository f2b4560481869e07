import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { annotateDocument } from './docs-annotations.js'
import { documentedProblems } from './docs-problems.js'

export const BEARER_SCHEME = 'bearerAuth'

/**
 * OpenAPI 3.1 generated from the route schemas (the only source), and Swagger UI at /docs.
 * Must be registered before the routes so it sees every one of them.
 */
async function docsPlugin (fastify: FastifyInstance) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Fastify Shop API',
        version: '1.0.0',
        description: 'Users and auth, a product catalog, and stock-safe orders. Errors are RFC 9457 problem details.',
        license: { name: 'MIT', identifier: 'MIT' },
        contact: { name: 'Shop API team', url: 'https://fastify-shop-api.example/support' }
      },
      // x-internal: the API is meant for outside clients (OWASP API9 inventory).
      servers: [{ url: '/', description: 'This server (local, staging or production: whichever serves this document)', 'x-internal': false } as { url: string, description: string }],
      tags: [
        { name: 'auth', description: 'Sign up, sign in, token refresh' },
        { name: 'users', description: 'Accounts' },
        { name: 'products', description: 'Catalog' },
        { name: 'orders', description: 'Orders that reserve stock' },
        { name: 'health', description: 'Kubernetes probes' }
      ],
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from POST /v1/auth/login: a JWS (HS256) following RFC8725, algorithm pinned, exp/iss/aud checked' }
        }
      }
    },
    // Problem responses are documented here but not compiled for the routes (plugins/docs-problems.ts).
    transform: ({ schema, url }) => ({ schema: documentedProblems(schema), url }),
    transformObject: (document) => 'openapiObject' in document ? annotateDocument(document.openapiObject) : document.swaggerObject,
    // Shared schemas keep their $id as the component name instead of def-0, def-1, …
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => typeof json.$id === 'string' ? json.$id : `def-${index}`
    }
  })

  if (fastify.config.docsEnabled) {
    // Imported only when served: the release config turns the docs off, and the UI with its static-file server is
    // ~2 % of boot CPU there (bench:boot profile).
    const { default: swaggerUi } = await import('@fastify/swagger-ui')
    await fastify.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { persistAuthorization: true, displayRequestDuration: true },
      staticCSP: false
    })
    // Whoever opens the bare address after `npm start` lands on the docs instead of a 404.
    fastify.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302))
  }
}

export default fp(docsPlugin, { name: 'docs', dependencies: ['config'] })

/** @see https://github.com/fastify/fastify-swagger @see https://github.com/fastify/fastify-swagger-ui */
