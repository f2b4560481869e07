import type { Backend } from './backend.js'
import type { LoadRequest } from './load.js'
import { orderTransactionScript, previousOrderTransactionScript } from './order-transaction.js'
import type { ServerProcess } from './processes.js'
import type { Role } from './report.js'
import type { SeededData } from './seed.js'
import type { BenchSettings } from './settings.js'

export interface HttpContender { kind: 'http', name: string, role: Role, server: ServerProcess }
/** pgbench running `script`: the service's order transaction (role pgbench), or the one before it (pgbench-previous). */
export interface PgbenchContender {
  kind: 'pgbench'
  name: string
  role: 'pgbench' | 'pgbench-previous'
  script: string
  databaseUrl: string
  variables: Record<string, string>
}
export type Contender = HttpContender | PgbenchContender

export interface ScenarioPlan {
  key: string
  title: string
  request?: LoadRequest
  contenders: Contender[]
  /** Scenario 4: a paced /health/live client on the service while the main load runs. */
  probe?: LoadRequest
  connections: number
  skipped?: string
  notes: string[]
}

export interface PlanInput {
  data: SeededData
  paths: { product: string | undefined, list: string | undefined, live: string }
  /** traced: the same build with tracing on (--tracing), measured beside the service. */
  /** pooled: the service through a transaction-mode PgBouncer (BENCH_POOLER_URL), when set. */
  /** compare: other builds (--compare), each measured beside the service. */
  servers: { service: ServerProcess, ceiling: ServerProcess, express: ServerProcess, traced?: ServerProcess | undefined, pooled?: ServerProcess, compare?: ServerProcess[] }
  /** pgbench's version when it can run (real PostgreSQL and on PATH). */
  pgbench: string | undefined
  backend: Pick<Backend, 'kind' | 'databaseUrl'>
  settings: BenchSettings
}

/** The five scenarios of issue #6, each with its contenders, or the reason it is skipped. */
export function planScenarios ({ data, paths, servers, pgbench, backend, settings }: PlanInput): ScenarioPlan[] {
  const http = (name: string, role: Role, server: ServerProcess): HttpContender => ({ kind: 'http', name, role, server })
  const service = http('service (Fastify, built)', 'service', servers.service)
  const ceiling = http('ceiling (node:http, captured bytes)', 'ceiling', servers.ceiling)
  const express = http('Express 5 stack', 'express', servers.express)
  const traced = servers.traced === undefined ? [] : [http('traced: same build, tracing on (OTLP → local sink)', 'traced', servers.traced)]
  const pooled = servers.pooled === undefined ? [] : [http('service via PgBouncer (transaction mode)', 'pooled', servers.pooled)]
  const compare = (servers.compare ?? []).map((server) => http(server.name, 'compare', server))
  const missing = (route: string) => data.routes.has(route) ? undefined : `route missing (${route})`

  const plans: ScenarioPlan[] = []
  plans.push({
    key: '1',
    title: 'GET /v1/products/:id (cached)',
    contenders: [service, ...traced, ...compare, ceiling, express],
    connections: settings.connections,
    notes: [],
    ...(paths.product === undefined
      ? { skipped: missing('get /v1/products/{id}') ?? 'no product could be created (see notes)' }
      : { request: { method: 'GET', path: paths.product } })
  })
  plans.push({
    key: '2',
    title: 'GET /v1/products?limit=20',
    contenders: [service, ...traced, ...compare, ...pooled, ceiling],
    connections: settings.connections,
    notes: ['lists are cached: after the warm-up every request is a hit on the process\'s own copy of the page (its bytes, keyed with the catalog generation, which the process re-reads from the shared cache at most every second); a miss is one statement, count and page together'],
    ...(paths.list === undefined
      ? { skipped: missing('get /v1/products') ?? 'no products could be created (see notes)' }
      : { request: { method: 'GET', path: paths.list } })
  })

  const orderSkip = missing('post /v1/orders') ??
    (data.customer === undefined || data.orderProductId === undefined ? 'no customer token or orderable product (see notes)' : undefined)
  const orderPlan: ScenarioPlan = { key: '3', title: 'POST /v1/orders (1 line, bearer)', contenders: [service, ...traced, ...compare, ...pooled, express], connections: settings.connections, notes: [] }
  if (orderSkip !== undefined || data.customer === undefined || data.orderProductId === undefined) {
    orderPlan.skipped = orderSkip ?? 'not set up'
  } else {
    orderPlan.request = {
      method: 'POST',
      path: '/v1/orders',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${data.customer.accessToken}` },
      body: JSON.stringify({ items: [{ productId: data.orderProductId, quantity: 1 }] })
    }
    if (backend.databaseUrl === undefined) {
      orderPlan.notes.push('pgbench skipped: it needs real PostgreSQL (set DATABASE_URL)')
    } else if (pgbench === undefined) {
      orderPlan.notes.push('pgbench skipped: not found on PATH')
    } else {
      const variables = { product_id: data.orderProductId, user_id: data.customer.id }
      orderPlan.contenders.push({
        kind: 'pgbench',
        name: `pgbench (same SQL, ${settings.pgbenchClients} clients)`,
        role: 'pgbench',
        script: orderTransactionScript(),
        databaseUrl: backend.databaseUrl,
        variables
      }, {
        kind: 'pgbench',
        name: `pgbench (previous SQL, ${settings.pgbenchClients} clients)`,
        role: 'pgbench-previous',
        script: previousOrderTransactionScript(),
        databaseUrl: backend.databaseUrl,
        variables
      })
      orderPlan.notes.push(`pgbench runs ${settings.pgbenchClients} clients = the service's pool size, the most order transactions the service has in flight at once`)
      orderPlan.notes.push('pgbench (previous SQL): the order transaction the service ran before place_order (BEGIN, customer lock, placement, COMMIT; bench/lib/order-transaction.ts); its ÷ pgbench is previous ÷ current')
    }
    if (backend.kind === 'pglite') orderPlan.notes.push('PGlite is single-process: Express writes to its own copy of the seeded database (same rows, same SQL)')
  }
  plans.push(orderPlan)

  const loginSkip = missing('post /v1/auth/login') ?? (data.customer === undefined ? 'no customer (see notes)' : undefined)
  const loginPlan: ScenarioPlan = { key: '4', title: 'POST /v1/auth/login at saturation', contenders: [service], connections: settings.loginConnections, notes: [] }
  if (loginSkip !== undefined || data.customer === undefined) {
    loginPlan.skipped = loginSkip ?? 'not set up'
  } else {
    loginPlan.request = {
      method: 'POST',
      path: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: data.customer.email, password: data.customer.password })
    }
    loginPlan.probe = { method: 'GET', path: paths.live }
    loginPlan.notes.push(`${settings.loginConnections} connections (BENCH_LOGIN_CONNECTIONS): twice libuv's 4 threads keeps argon2 saturated without only queueing`)
    loginPlan.notes.push(`a second client sends ${settings.probeRate} req/s to /health/live on 1 connection meanwhile: its p99 is what a probe sees while argon2 saturates the thread pool`)
  }
  plans.push(loginPlan)

  plans.push({ key: '5', title: 'GET /health/live', contenders: [service, ...traced, ...compare, ceiling], connections: settings.connections, request: { method: 'GET', path: paths.live }, notes: [] })
  return plans
}
