import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import { CIRCUIT_STATES } from '../schemas/health.js'

/** The route label of a request that matched no route: raw URLs would make one series per probe of a scanner. */
export const UNMATCHED_ROUTE = 'unmatched'

/** Seconds; finer at the low end, where most API requests fall, up to the 10 s shutdown bound. */
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

function registerRequestDuration (fastify: FastifyInstance, registry: Registry) {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request received to response sent, by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry]
  })
  // A callback hook: every request passes here, and an async one costs a promise each time.
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe({
      method: request.method,
      // The pattern (/v1/products/:id), never the URL: ids and query strings would explode cardinality.
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode)
    }, reply.elapsedTime / 1000)
    done()
  })
}

function registerDatabasePool (fastify: FastifyInstance, registry: Registry) {
  const gauges = [
    ['db_pool_connections_total', 'Open database connections', 'total'],
    ['db_pool_connections_idle', 'Open database connections not serving a query', 'idle'],
    ['db_pool_waiting_requests', 'Queries waiting for a free connection', 'waiting']
  ] as const
  for (const [name, help, field] of gauges) {
    // Read at scrape time: the figures live in the pool, copying them on every query would cost for nothing.
    new Gauge({ name, help, registers: [registry], collect () { this.set(fastify.db.poolStats()[field]) } }) // eslint-disable-line no-new
  }
}

function registerDatabaseCircuit (fastify: FastifyInstance, registry: Registry) {
  new Gauge({ // eslint-disable-line no-new
    name: 'db_circuit_state',
    help: 'Database circuit breaker: 1 for the current state (closed, open: requests fail fast with 503, half-open: probing)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect () {
      const current = fastify.dbCircuit.status()
      for (const state of CIRCUIT_STATES) this.set({ state }, state === current ? 1 : 0)
    }
  })
  new Counter({ // eslint-disable-line no-new
    name: 'db_circuit_opened_total',
    help: 'Times the database circuit breaker opened after consecutive connection failures or timeouts',
    registers: [registry],
    collect () {
      this.reset()
      this.inc(fastify.dbCircuit.opened)
    }
  })
}

function registerCache (fastify: FastifyInstance, registry: Registry) {
  // 0 while the circuit is open: commands fail fast and reads go to the database.
  new Gauge({ // eslint-disable-line no-new
    name: 'cache_connected',
    help: '1 when the cache store is connected, 0 while it is down and requests bypass it',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect () { this.set({ backend: fastify.cache.kind }, fastify.cache.connected() ? 1 : 0) }
  })
  new Gauge({ // eslint-disable-line no-new
    name: 'cache_local_tier_active',
    help: '1 when reads are served from process memory, 0 while it is bypassed because invalidation messages cannot arrive',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect () { this.set({ backend: fastify.cache.kind }, fastify.cache.localTierActive() ? 1 : 0) }
  })
  const counters = [
    ['cache_hits_total', 'Cache lookups answered from the cache (process memory or Redis)', 'hits'],
    ['cache_misses_total', 'Cache lookups that found nothing (errors included)', 'misses'],
    ['cache_errors_total', 'Cache operations that failed and were treated as a miss', 'errors'],
    ['cache_forced_reconnects_total', 'Connections to the cache dropped because it stopped answering (circuit opened)', 'forcedReconnects'],
    ['cache_loads_total', 'Reads of the database after every cache tier missed; concurrent misses of one key share one', 'loads'],
    ['cache_joined_total', 'Lookups that waited for the same key\'s read already under way instead of reading themselves', 'joined'],
    ['cache_invalidations_received_total', 'Invalidation messages received from the writes of every replica (Redis only)', 'invalidationsReceived']
  ] as const
  for (const [name, help, field] of counters) {
    // The cache keeps cumulative totals; the counter mirrors them at scrape time.
    new Counter({ // eslint-disable-line no-new
      name,
      help,
      labelNames: ['backend'] as const,
      registers: [registry],
      collect () {
        this.reset()
        this.inc({ backend: fastify.cache.kind }, fastify.cache.stats[field])
      }
    })
  }
  new Counter({ // eslint-disable-line no-new
    name: 'cache_tier_hits_total',
    help: 'Cache hits by tier: l1 = process memory (no round trip), l2 = Redis; their sum is cache_hits_total',
    labelNames: ['backend', 'tier'] as const,
    registers: [registry],
    collect () {
      const { hits, localHits } = fastify.cache.stats
      this.reset()
      this.inc({ backend: fastify.cache.kind, tier: 'l1' }, localHits)
      this.inc({ backend: fastify.cache.kind, tier: 'l2' }, hits - localHits)
    }
  })
}

/**
 * Prometheus metrics at GET /metrics (docs/api.md): request durations, process and event-loop figures,
 * database pool and cache counters. Every figure is per process: Prometheus scrapes each replica.
 */
async function metricsPlugin (fastify: FastifyInstance) {
  // One registry per app, so two apps in one process never share series.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  registerRequestDuration(fastify, registry)
  registerDatabasePool(fastify, registry)
  registerDatabaseCircuit(fastify, registry)
  registerCache(fastify, registry)
  fastify.addHook('onClose', async () => { registry.clear() })

  const { metricsPort } = fastify.config
  if (metricsPort !== undefined) {
    serveOnOwnPort(fastify, registry, metricsPort)
    return
  }
  fastify.get('/metrics', {
    // Most useful exactly when the process is shedding load, so it is never shed.
    config: { pressureHandler: () => undefined },
    schema: { hide: true, response: { 200: { type: 'string' } } }
  }, async (_request, reply) => {
    const body = await registry.metrics()
    return reply.type(registry.contentType).send(body)
  })
}

/**
 * METRICS_PORT: /metrics on a listener of its own, which a Kubernetes Service need not expose (only Prometheus
 * reaches the pod port). A bare node:http server: it serves one read-only path to one trusted scraper, and no
 * hook of the API (rate limit, CORS, load shedding) should apply to it. Bound at ready, so a taken port fails boot.
 */
function serveOnOwnPort (fastify: FastifyInstance, registry: Registry, port: number): void {
  let server: Server | undefined
  fastify.addHook('onReady', async () => {
    server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      registry.metrics().then((body) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(body)
      }, (error: unknown) => {
        fastify.log.error({ err: error }, 'metrics scrape failed')
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n')
      })
    })
    server.listen(port, fastify.config.host)
    await once(server, 'listening')
    fastify.log.info({ port }, 'metrics served on their own port')
  })
  fastify.addHook('onClose', async () => {
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  })
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['config', 'database', 'cache'] })

/** @see https://github.com/siimon/prom-client */
