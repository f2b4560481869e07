import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import autoload from '@fastify/autoload'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'
import { serverOptions } from './server-options.js'
import { sharedSchemas } from '../schemas/index.js'
import configPlugin from '../plugins/config.js'
import tracing from '../plugins/tracing.js'
import lifecycle from '../plugins/lifecycle.js'
import requestId from '../plugins/request-id.js'
import errors, { answerNotFound } from '../plugins/errors.js'
import requestDeadline from '../plugins/request-deadline.js'
import security from '../plugins/security.js'
import compress from '../plugins/compress.js'
import loadShedding from '../plugins/load-shedding.js'
import database from '../plugins/database.js'
import cache from '../plugins/cache.js'
import metrics from '../plugins/metrics.js'
import rateLimit from '../plugins/rate-limit.js'
import docs from '../plugins/docs.js'
import auth from '../plugins/auth.js'
import docsProblems from '../plugins/docs-problems.js'
import adminBootstrap from '../plugins/admin-bootstrap.js'
import housekeeping from '../plugins/housekeeping.js'

export interface BuildOptions {
  /** Where log lines go (tests capture them); stdout when omitted. */
  logStream?: DestinationStream
}

const HEALTH_ROUTES_DIR = fileURLToPath(new URL('../routes/health', import.meta.url))
const V1_ROUTES_DIR = fileURLToPath(new URL('../routes/v1', import.meta.url))
const AUTOLOAD_IGNORE = /(^|\/)_|\.test\./

/**
 * The public API. The per-client rate limit is attached to this scope, so it covers every route declared in
 * it and its own not-found handler whatever spelling of the path the router decoded (`/%761/…`, absolute-form
 * targets): a limit belongs to a scope, never to a URL string.
 */
async function apiV1 (scope: FastifyInstance): Promise<void> {
  scope.addHook('onRequest', scope.clientRateLimit)
  scope.setNotFoundHandler(answerNotFound)
  await scope.register(autoload, { dir: V1_ROUTES_DIR, dirNameRoutePrefix: true, ignorePattern: AUTOLOAD_IGNORE })
}

/**
 * Builds the whole service. Production (src/server.ts) and every test call this same function.
 * The order below is the architecture: each plugin may use what the ones above it decorated.
 */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, options.logStream)).withTypeProvider<TypeBoxTypeProvider>()

  for (const schema of sharedSchemas) app.addSchema(schema)
  // Bodies are JSON only (docs/api.md): without its text/plain parser, Fastify answers 415 for any other type.
  app.removeContentTypeParser('text/plain')

  // 1. Cross-cutting request handling: config, lifecycle flag, ids, error format, the request deadline.
  await app.register(configPlugin, { config })
  // First after config: its onRequest hook binds the trace id before any other hook can log (off: a no-op).
  await app.register(tracing)
  await app.register(lifecycle)
  await app.register(requestId)
  await app.register(errors)
  // Before compress: its preParsing hook must read the body through the deadline's stream, not the raw one.
  await app.register(requestDeadline)
  // 2. Protective layers that run before any handler: headers, CORS, compression, load shedding.
  await app.register(security)
  await app.register(compress)
  await app.register(loadShedding)
  // 3. Resources, each closing itself on app.close().
  await app.register(database)
  await app.register(cache)
  await app.register(metrics)
  // 4. Rate limit and docs must exist before routes are declared, or those routes are not covered.
  await app.register(rateLimit)
  await app.register(docs)
  // 5. Auth turns each route's `config.access` into hooks and OpenAPI security, so it precedes the routes.
  await app.register(auth)
  // After auth, which adds 401/403 problem responses: problem responses are documented, not compiled per route.
  await app.register(docsProblems)
  await app.register(adminBootstrap)
  await app.register(housekeeping)
  // 6. Routes: the folder path is the URL prefix (routes/v1/products → /v1/products). Unknown URLs count
  //    against the per-client limit everywhere (enumeration is not free); probes, docs and metrics do not.
  app.setNotFoundHandler({ preHandler: app.clientRateLimit }, answerNotFound)
  await app.register(autoload, { dir: HEALTH_ROUTES_DIR, options: { prefix: '/health' }, ignorePattern: AUTOLOAD_IGNORE })
  await app.register(apiV1, { prefix: '/v1' })

  return app
}
