/**
 * The span tree of an order placement, with the in-memory exporter in place of OTLP. Tracing starts the way
 * src/server.ts starts it: before anything imports pg or ioredis (test/helper.ts does), hence the dynamic imports.
 */
import t from 'tap'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { startTracing } from '../../src/tracing.js'

const exporter = new InMemorySpanExporter()
const tracing = await startTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
t.teardown(async () => { await tracing.shutdown() })

const { buildTestApp, usingPostgres, usingRedis } = await import('../helper.js')
const { createTestUser } = await import('../support/users.js')
const { createProduct } = await import('../support/fixtures.js')
const { PLACE_ORDER_SQL } = await import('../../src/orders/repository.js')

// One app for the file: spans are picked by trace id (or the exporter reset before a test), log lines by request id.
const built = await buildTestApp(t, { captureLogs: true })
const { app } = built

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`

/** The direct children of `parent`, in start order. */
function children (spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
}
/** Every span under `root`, depth first (the order a trace view lists them). */
function descendants (spans: ReadableSpan[], root: ReadableSpan): ReadableSpan[] {
  return children(spans, root).flatMap((child) => [child, ...descendants(spans, child)])
}
function queryText (span: ReadableSpan): string {
  return String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '')
}

t.test('an order placement is one trace: route → one statement, then the cache invalidation', async (t) => {
  const admin = await createTestUser(app, 'admin')
  const customer = await createTestUser(app, 'customer')
  const product = await createProduct(app, admin, { stock: 5 })
  exporter.reset()

  const response = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...customer.headers, traceparent: TRACEPARENT },
    payload: { items: [{ productId: product.id, quantity: 2 }] }
  })
  t.equal(response.statusCode, 201)

  const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === TRACE_ID)
  const route = spans.find((span) => span.name === 'POST /v1/orders')
  if (route === undefined) return t.fail(`no route span; spans: ${spans.map((span) => span.name).join(', ')}`)
  t.equal(route.parentSpanContext?.spanId, '00f067aa0ba902b7', 'the incoming traceparent is the parent of the route span')
  t.equal(route.attributes['http.route'], '/v1/orders')
  t.equal(route.attributes['http.response.status_code'], 201)

  const inRoute = descendants(spans, route)
  const handler = inRoute.find((span) => span.name === 'handler - orderRoutes')
  if (handler === undefined) return t.fail(`no handler span under the route; under it: ${inRoute.map((span) => span.name).join(', ')}`)
  const statements = descendants(spans, handler).filter((span) => queryText(span) !== '' && span.name.startsWith('pg.query'))

  t.test('the placement is one database round trip: one statement, no transaction around it', { skip: usingPostgres ? false : 'needs DATABASE_URL: PGlite is not the pg driver, so its statements have no spans' }, async (t) => {
    t.same(statements.map(queryText), [PLACE_ORDER_SQL], 'the place_order call, and nothing else')
    t.notOk(inRoute.some((span) => span.name === 'transaction'), 'no BEGIN … COMMIT around it')
  })

  t.test('the cache invalidation follows the placement, as Redis commands of the same trace', { skip: usingRedis && usingPostgres ? false : 'needs REDIS_URL and DATABASE_URL: the in-process cache makes no Redis commands, PGlite no statement spans' }, async (t) => {
    const commands = inRoute.filter((span) => span.attributes['db.system.name'] === 'redis' || span.attributes['db.system'] === 'redis')
    t.ok(commands.some((span) => span.name === 'eval' && queryText(span).includes(`order-rate-limited:${customer.id}`)), 'the per-account order limit (a preHandler hook; the first order of an account is counted in Redis)')
    const invalidation = commands.find((span) => span.name === 'eval' && queryText(span).includes(product.id))
    if (invalidation === undefined) return t.fail(`no eval of product:${product.id}; Redis spans: ${commands.map((span) => `${span.name} ${queryText(span)}`).join(' | ')}`)
    const placement = statements[0]
    if (placement === undefined) return t.fail('no placement statement')
    // Each span anchors its clock on its own Date.now() reading (@opentelemetry/sdk-trace Span: _performanceOffset),
    // a millisecond clock, so two spans' times can disagree by up to 1 ms: a strict comparison failed 1 run in 3 with
    // the invalidation "333 µs before" the commit it follows in the code. Within that 1 ms, the order is the code's.
    const nanoseconds = ([seconds, nanos]: readonly [number, number]) => BigInt(seconds) * 1_000_000_000n + BigInt(nanos)
    const gap = nanoseconds(invalidation.startTime) - nanoseconds(placement.endTime)
    t.ok(gap > -1_000_000n, `after the placement committed (${gap} ns after its statement span ended, within the 1 ms clock skew)`)
  })

  t.test('every log line of the request carries the trace id', async (t) => {
    const lines = built.logs.filter((line) => line.requestId === response.headers['x-request-id'])
    t.ok(lines.some((line) => line.msg === 'incoming request'), 'the incoming-request line is among them')
    t.ok(lines.length >= 2, `${lines.length} lines`)
    for (const line of lines) t.equal(line.traceId, TRACE_ID, String(line.msg))
  })
})

t.test("concurrent requests' Redis commands stay in their own traces", { skip: usingRedis ? false : 'needs REDIS_URL: the in-process cache makes no Redis commands' }, async (t) => {
  const admin = await createTestUser(app, 'admin')
  const traceIds = Array.from({ length: 8 }, (_, index) => `${String(index + 1).padStart(2, '0')}${TRACE_ID.slice(2)}`)
  // A product each: reads of one product would share one Redis read (single flight) or hit process memory.
  const products: Array<Awaited<ReturnType<typeof createProduct>>> = []
  while (products.length < traceIds.length) products.push(await createProduct(app, admin))
  exporter.reset()
  // Sent together, so their rate-limit and cache commands are issued in the same event-loop turns.
  await Promise.all(traceIds.map(async (traceId, index) => app.inject({
    method: 'GET', url: `/v1/products/${products[index]?.id}`, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }
  })))
  const spans = exporter.getFinishedSpans()
  for (const [index, traceId] of traceIds.entries()) {
    const product = products[index]
    if (product === undefined) return t.fail('a product per trace')
    const route = spans.find((span) => span.spanContext().traceId === traceId && span.name === 'GET /v1/products/:id')
    if (route === undefined) return t.fail(`no route span in trace ${traceId}`)
    const keys = descendants(spans, route).filter((span) => span.attributes['db.system.name'] === 'redis').map(queryText)
    // Its cache read of its product, no neighbour's; at most one rate-limit count (the counter answers most
    // requests from memory and adds them in Redis later, outside any request's trace).
    t.ok(keys.filter((text) => text.includes(':rate-limit:')).length <= 1, `trace ${traceId.slice(0, 2)}: at most one rate-limit command (${keys.length} Redis spans)`)
    t.ok(keys.some((text) => text.includes(`product:${product.id}`)), `trace ${traceId.slice(0, 2)}: its cache read`)
    t.notOk(products.some((other) => other.id !== product.id && keys.some((text) => text.includes(`product:${other.id}`))), `trace ${traceId.slice(0, 2)}: no other request's cache read`)
  }
})

t.test('probes and scrapes are not traced', async (t) => {
  exporter.reset()
  for (const url of ['/health/live', '/health/ready', '/metrics', '/health/live?verbose=1']) {
    const response = await app.inject({ method: 'GET', url, headers: { traceparent: TRACEPARENT } })
    t.equal(response.statusCode, 200, url)
  }
  t.same(exporter.getFinishedSpans().map((span) => span.name), [])
  await app.inject({ method: 'GET', url: '/v1/products?limit=1', headers: { traceparent: TRACEPARENT } })
  t.ok(exporter.getFinishedSpans().some((span) => span.name === 'GET /v1/products'), 'while an API route is')
})

t.test('a problem answer names its trace next to the request id', async (t) => {
  const withParent = await app.inject({ method: 'GET', url: '/v1/products/not-a-uuid', headers: { traceparent: TRACEPARENT } })
  t.equal(withParent.statusCode, 400)
  t.hasStrict(withParent.json(), { requestId: withParent.headers['x-request-id'], traceId: TRACE_ID })
  const rejected = built.logs.find((line) => line.requestId === withParent.headers['x-request-id'] && line.msg === 'request rejected')
  t.equal(rejected?.traceId, TRACE_ID, 'the error handler\'s line too')

  // Without a traceparent the request starts a trace of its own; the answer still names it.
  const alone = await app.inject({ method: 'GET', url: '/v1/nowhere' })
  t.equal(alone.statusCode, 404)
  const traceId = alone.json<{ traceId?: string }>().traceId
  t.match(traceId, /^[0-9a-f]{32}$/)
  t.not(traceId, TRACE_ID)
})
