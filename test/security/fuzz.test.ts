/**
 * Schema-driven fuzzing: for every operation in the OpenAPI document, requests generated from its own
 * request schemas, about three fields in ten replaced by something hostile, sent anonymously, as a
 * customer, as an admin and with broken tokens. Every answer must be one the document lists, in the
 * documented shape (problem+json for every 4xx) — no 5xx, no hang — and afterwards the order data must
 * still add up. FUZZ_RUNS (default 10 000) and FUZZ_SEED reproduce or scale a run.
 */
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { createTestUser } from '../support/users.js'
import { buildTestApp } from '../helper.js'
import { createProduct, placeOrder } from '../support/fixtures.js'
import { schemaArbitrary } from './support/schema-arbitrary.js'
import { documentOf, fillPath, operationsOf, toQuery, type JsonSchema, type Operation } from '../openapi/support/document.js'
import { Contract } from '../openapi/support/contract.js'
import { runAlone } from '../support/test-file.js'

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const NASTY_RATE = 0.3
/** Requests in flight at once: PGlite serializes them anyway; PostgreSQL gets some real concurrency. */
const CONCURRENCY = 4
/** Far above any honest answer on a loaded machine; a request still pending then counts as a hang. */
const HANG_AFTER_MS = 30_000
const UNLIMITED = '1000000000'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function fuzzTests (t: Test): Promise<void> {
  t.comment(`fuzz: FUZZ_RUNS=${FUZZ_RUNS} FUZZ_SEED=${FUZZ_SEED}`)
  // About a minute for 10 000 requests on PGlite on a busy 2-core machine; .taprc's 120 s is for ordinary files.
  t.setTimeout(Math.max(300_000, FUZZ_RUNS * 30))

  const { app } = await buildTestApp(t, {
    // The limits are tested elsewhere; here they would turn most of the run into 429s.
    env: { RATE_LIMIT_MAX: UNLIMITED, AUTH_RATE_LIMIT_MAX: UNLIMITED, ORDER_RATE_LIMIT_MAX: UNLIMITED }
  })
  const contract = new Contract(documentOf(app))
  const operations = operationsOf(documentOf(app))
  const admin = await createTestUser(app, 'admin')
  const customer = await createTestUser(app, 'customer')

  /**
   * Ids that exist, so generated uuids sometimes hit real rows; orders join as the run places them. The users are
   * targets of their own: an admin's role change or disable of the fixture customer would end its session and turn
   * the rest of the run into 401s.
   */
  const targets = [await createTestUser(app, 'admin'), await createTestUser(app, 'customer')]
  const ids: string[] = targets.map((target) => target.id)
  // Products appear several times: order lines, the busiest flow, then often name a real one.
  for (let i = 0; i < 5; i++) {
    const { id } = await createProduct(app, admin, { stock: 1_000_000, priceCents: 100 + i })
    ids.push(id, id, id, id)
  }
  const firstOrder = await placeOrder(app, customer, ids[2] ?? '')
  ids.push(firstOrder.json<{ id: string }>().id)
  t.equal(firstOrder.statusCode, 201, 'fixture order placed')

  const AUTHS = {
    none: {},
    customer: customer.headers,
    admin: admin.headers,
    forged: { authorization: `Bearer ${admin.token.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}` },
    garbage: { authorization: 'Bearer ../../etc/passwd' }
  } as const

  /** Operations that end the caller's own session when they succeed (logout, a password change). */
  const SESSION_ENDING = new Set(['postAuthLogout', 'patchUsersMe'])

  type BodyMode = 'json' | 'text' | 'raw-json' | 'none'

  interface Generated {
    auth: keyof typeof AUTHS
    params: unknown
    query: unknown
    headers: unknown
    body: unknown
    bodyMode: BodyMode
    raw: string
  }

  function partArbitrary (schema: JsonSchema | undefined, nastyRate: number): fc.Arbitrary<unknown> {
    return schema === undefined ? fc.constant(undefined) : schemaArbitrary(schema, { nastyRate, idPool: () => ids })
  }

  /** nastyRate 0: well-formed requests from signed-in callers, which reach the business rules (orders, stock, roles). */
  function requestArbitrary (operation: Operation, nastyRate: number): fc.Arbitrary<Generated> {
    const hostile = nastyRate > 0
    return fc.record({
      auth: hostile
        ? fc.constantFrom<keyof typeof AUTHS>('none', 'customer', 'customer', 'admin', 'admin', 'forged', 'garbage')
        : fc.constantFrom<keyof typeof AUTHS>('customer', 'admin'),
      params: partArbitrary(operation.parts.params, nastyRate),
      query: partArbitrary(operation.parts.querystring, nastyRate),
      headers: partArbitrary(operation.parts.headers, nastyRate),
      body: partArbitrary(operation.parts.body, nastyRate),
      bodyMode: hostile ? fc.constantFrom<BodyMode>('json', 'json', 'json', 'json', 'json', 'json', 'json', 'text', 'raw-json', 'none') : fc.constant<BodyMode>('json'),
      raw: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"a":1,"a":2}', '[]', 'null', '{"__proto__":{"role":"admin"}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000'))
    })
  }

  /** Header values must be visible ASCII to be sent at all; anything else goes JSON-escaped. */
  function headerValue (value: unknown): string {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined'
    return /^[\x20-\x7E]*$/.test(text) ? text : JSON.stringify(text).replace(/[^\x20-\x7E]/g, '?')
  }

  function asRecord (value: unknown): Record<string, unknown> | undefined {
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  }

  function toInject (operation: Operation, generated: Generated): InjectOptions {
    const headers: Record<string, string> = { ...AUTHS[generated.auth] }
    for (const [name, value] of Object.entries(asRecord(generated.headers) ?? {})) {
      if (value !== undefined && name !== '' && /^[A-Za-z0-9-]+$/.test(name)) headers[name] = headerValue(value)
    }
    // An empty or missing path segment would address another route (/v1/orders/ is the list), not this one.
    const params = { ...(asRecord(generated.params) ?? { id: generated.params }) }
    for (const [, name] of operation.path.matchAll(/\{([^}]+)\}/g)) {
      if (name !== undefined && (params[name] === undefined || params[name] === '')) params[name] = '_'
    }
    const request: InjectOptions = {
      method: operation.method.toUpperCase() as InjectOptions['method'],
      url: fillPath(operation.path, params),
      query: toQuery(asRecord(generated.query) ?? (generated.query === undefined ? undefined : { limit: generated.query })),
      headers
    }
    if (operation.parts.body === undefined && generated.bodyMode !== 'raw-json') return request
    switch (generated.bodyMode) {
      case 'json': return { ...request, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(generated.body) ?? 'null' }
      case 'raw-json': return { ...request, headers: { ...headers, 'content-type': 'application/json' }, payload: generated.raw }
      case 'text': return { ...request, headers: { ...headers, 'content-type': 'text/plain' }, payload: generated.raw }
      case 'none': return request
    }
  }

  async function withHangGuard (request: InjectOptions): Promise<LightMyRequestResponse | 'hang'> {
    let timer: NodeJS.Timeout | undefined
    const hang = new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), HANG_AFTER_MS) })
    try {
      return await Promise.race([app.inject(request), hang])
    } finally {
      clearTimeout(timer)
    }
  }

  interface Finding { operation: string, status: number | 'hang', problem: string, request: string }

  const findings: Finding[] = []
  const statuses = new Map<string, Map<number, number>>()
  let sent = 0

  async function fuzzOperation (operation: Operation, runs: number, nastyRate: number, seed: number): Promise<void> {
    const samples = fc.sample(requestArbitrary(operation, nastyRate), { numRuns: runs, seed })
    const label = `${operation.method.toUpperCase()} ${operation.path}`
    const counts = statuses.get(label) ?? new Map<number, number>()
    statuses.set(label, counts)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < samples.length) {
        const generated = samples[next++] as Generated
        const request = toInject(operation, generated)
        if (SESSION_ENDING.has(operation.operationId) && (generated.auth === 'customer' || generated.auth === 'admin')) {
          // A session of its own, so the fixture users stay signed in for the rest of the run.
          request.headers = { ...request.headers, ...(await createTestUser(app, generated.auth)).headers }
        }
        const response = await withHangGuard(request)
        sent++
        const summary = JSON.stringify({ ...request, payload: String(request.payload ?? '').slice(0, 300) }).slice(0, 600)
        if (response === 'hang') {
          findings.push({ operation: label, status: 'hang', problem: `no answer within ${HANG_AFTER_MS} ms`, request: summary })
          continue
        }
        counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1)
        if (response.statusCode === 201 && operation.operationId === 'postOrders') ids.push(response.json<{ id: string }>().id)
        if (response.statusCode >= 500) findings.push({ operation: label, status: response.statusCode, problem: response.body.slice(0, 300), request: summary })
        for (const violation of contract.violations(operation, response, { rateLimitHeaders: false })) {
          findings.push({ operation: label, status: response.statusCode, problem: violation.problem.slice(0, 400), request: summary })
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  }

  t.test(`${FUZZ_RUNS} generated requests across every operation: only documented answers, never a 5xx or a hang`, async (t) => {
    const perOperation = Math.ceil(FUZZ_RUNS / operations.length)
    for (const [index, operation] of operations.entries()) {
      await fuzzOperation(operation, perOperation, NASTY_RATE, FUZZ_SEED + index)
      // On top: a tenth as many well-formed requests, so state-changing flows run often enough to be audited.
      await fuzzOperation(operation, Math.ceil(perOperation / 10), 0, FUZZ_SEED + index)
    }
    t.ok(sent >= FUZZ_RUNS, `${sent} requests sent`)
    for (const [label, counts] of statuses) t.comment(`${label}: ${[...counts].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`)
    t.equal(findings.length, 0, `findings (seed ${FUZZ_SEED}); first ones below`)
    t.same(findings.slice(0, 15), [])
  })

  /**
   * Answers only a handler gives, after authentication and validation passed: 413, 415 and 429 come before
   * validation, 400 from it, and 401 from authentication where the operation needs a token (login and refresh
   * answer 401 from their handler), so counting those would call a run that never reached a handler a success.
   */
  function reachedHandler (operation: Operation, status: number): boolean {
    if (status === 401) return operation.access === 'anyone'
    return status < 400 || status === 404 || status === 409 || status === 412 || status === 422
  }

  t.test('the fuzzing got past validation: every operation reached its handler at least once', async (t) => {
    for (const operation of operations) {
      const label = `${operation.method.toUpperCase()} ${operation.path}`
      const counts = statuses.get(label) ?? new Map<number, number>()
      const handled = [...counts].filter(([status]) => reachedHandler(operation, status)).reduce((sum, [, count]) => sum + count, 0)
      t.ok(handled > 0, `${label}: ${handled} answers from the handler`)
    }
  })

  t.test('afterwards the order data still adds up', async (t) => {
    const check = async (sql: string): Promise<number> => (await app.db.query<{ n: number }>(sql)).rows[0]?.n ?? -1
    t.equal(await check('SELECT count(*)::int AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)'), 0, 'no order without items')
    t.equal(await check(`SELECT count(*)::int AS n FROM orders o
      WHERE o.total_cents <> (SELECT sum(i.line_total_cents) FROM order_items i WHERE i.order_id = o.id)`), 0, 'every total is the sum of its lines')
    t.equal(await check('SELECT count(*)::int AS n FROM order_items WHERE line_total_cents <> quantity::bigint * unit_price_cents'), 0, 'every line total is quantity × unit price')
    // No audit of negative stock or of a negative line or order total: the tables' CHECK constraints make those
    // impossible to observe. The audits here are rules only the service keeps: totals agree with their lines (above),
    // the per-account cap on open units, and idempotent replays that name a real order of the same account.
    t.equal(await check(`SELECT count(*)::int AS n FROM (
        SELECT o.user_id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'placed'
        GROUP BY o.user_id HAVING sum(i.quantity) > ${app.config.orderCaps.maxOpenUnitsPerCustomer}) over_cap`), 0,
    `no account holds more than CUSTOMER_MAX_OPEN_UNITS (${app.config.orderCaps.maxOpenUnitsPerCustomer}) units in placed orders`)
    t.equal(await check(`SELECT count(*)::int AS n FROM idempotency_keys k WHERE k.response_status = 201
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id::text = k.response_body->>'id' AND o.user_id = k.user_id)`), 0,
    'every stored Idempotency-Key answer names an order of the same account')
    t.ok(await check('SELECT count(*)::int AS n FROM orders') > 1, 'the fuzzing placed orders')
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 200, 'the service is still ready')
    t.equal((await app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}`, headers: customer.headers })).statusCode, 404, 'and still answers normally')
  })
}

await runAlone(import.meta.url, fuzzTests)
