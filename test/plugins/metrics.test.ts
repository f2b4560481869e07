import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { freePort, httpCall } from '../support/server-process.js'
import { runAlone } from '../support/test-file.js'

interface Sample { name: string, labels: Record<string, string>, value: number }

/** Parses Prometheus text exposition format into samples; fails loudly on a line it does not understand. */
function parseExposition (text: string): { samples: Sample[], types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type !== null) { types.set(type[1] ?? '', type[2] ?? ''); continue }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (sample === null) throw new Error(`not exposition format: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key ?? ''] = value ?? ''
    }
    samples.push({ name: sample[1] ?? '', labels, value: Number(sample[3]) })
  }
  return { samples, types }
}

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

async function scrape (app: App) {
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  return { response, ...parseExposition(response.body) }
}

function findSample (samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find((candidate) => candidate.name === name &&
    Object.entries(labels).every(([key, value]) => candidate.labels[key] === value))
}

/** The value of one series; NaN when it is absent, so no assertion on a missing metric can pass. */
function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return findSample(samples, name, labels)?.value ?? Number.NaN
}

/** A baseline before the action: a labelled series appears only once something was counted under it. */
function baselineOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return findSample(samples, name, labels)?.value ?? 0
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function metricsTests (t: Test): Promise<void> {
  // One app for the tests that only read or compare before/after: each PGlite boot costs seconds on a busy machine.
  const { app } = await buildTestApp(t)
  // A second app, for the two tests that need one: another app in the same process, and a /v1 limit of 1.
  const { app: limited } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '1' } })

  t.test('metrics are served as Prometheus text', async (t) => {
    const { response, samples } = await scrape(app)
    t.equal(response.statusCode, 200)
    t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    t.ok(samples.length > 0)
  })

  t.test('request durations are labelled by route pattern, method and status code', async (t) => {
    const live = { route: '/health/live', method: 'GET', status_code: '200' }
    const before = baselineOf((await scrape(app)).samples, 'http_request_duration_seconds_count', live)
    await app.inject({ method: 'GET', url: '/health/live' })
    await app.inject({ method: 'GET', url: '/health/live?probe=1' })
    const { samples, types } = await scrape(app)
    t.equal(types.get('http_request_duration_seconds'), 'histogram')
    t.equal(valueOf(samples, 'http_request_duration_seconds_count', live) - before, 2, 'both requests counted under the pattern, the query string ignored')
    t.ok(valueOf(samples, 'http_request_duration_seconds_bucket', { ...live, le: '+Inf' }) >= 2)
  })

  t.test('unknown URLs share one route label instead of one series per URL', async (t) => {
    const unmatched = { route: 'unmatched', status_code: '404' }
    const before = baselineOf((await scrape(app)).samples, 'http_request_duration_seconds_count', unmatched)
    await app.inject({ method: 'GET', url: '/no/such/thing-1' })
    await app.inject({ method: 'GET', url: '/no/such/thing-2' })
    const { samples } = await scrape(app)
    const routes = samples.filter((sample) => sample.name === 'http_request_duration_seconds_count').map((sample) => sample.labels.route)
    t.notOk(routes.some((route) => route?.startsWith('/no/such') === true), 'raw URLs never become labels')
    t.equal(valueOf(samples, 'http_request_duration_seconds_count', unmatched) - before, 2)
  })

  t.test('process and event-loop metrics are exposed', async (t) => {
    const { types } = await scrape(app)
    t.ok(types.has('process_cpu_seconds_total'))
    t.ok(types.has('process_resident_memory_bytes'))
    t.ok(types.has('nodejs_eventloop_lag_seconds'))
    t.ok(types.has('nodejs_eventloop_lag_p99_seconds'))
  })

  t.test('database pool figures come from the live pool', async (t) => {
    const { samples } = await scrape(app)
    const stats = app.db.poolStats()
    t.ok(valueOf(samples, 'db_pool_connections_total') >= 1, 'the migrated database holds at least one connection')
    t.equal(valueOf(samples, 'db_pool_connections_total'), stats.total)
    t.ok(samples.some((sample) => sample.name === 'db_pool_connections_idle'))
    t.equal(valueOf(samples, 'db_pool_waiting_requests'), 0)
  })

  t.test('cache hits, misses and errors are counted', async (t) => {
    const backend = { backend: app.cache.kind }
    const count = (samples: Sample[], read = valueOf) => ({
      hits: read(samples, 'cache_hits_total', backend),
      misses: read(samples, 'cache_misses_total', backend),
      errors: read(samples, 'cache_errors_total', backend)
    })
    const before = count((await scrape(app)).samples, baselineOf)
    await app.cache.fillVersion('metrics-test', { n: 1 }, 1)
    await app.cache.getVersioned('metrics-test')
    await app.cache.getVersioned('metrics-test')
    await app.cache.getVersioned('metrics-test-absent')
    const after = count((await scrape(app)).samples)
    t.same({ hits: after.hits - before.hits, misses: after.misses - before.misses, errors: after.errors - before.errors },
      { hits: 2, misses: 1, errors: 0 })
  })

  t.test('two apps in one process keep separate figures', async (t) => {
    await app.inject({ method: 'GET', url: '/health/live' })
    const { samples } = await scrape(limited)
    const live = samples.find((sample) => sample.name === 'http_request_duration_seconds_count' && sample.labels.route === '/health/live')
    t.equal(live, undefined, 'the other app saw no /health/live request')
  })

  t.test('scrapes are never rate limited', async (t) => {
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await limited.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.61' })).statusCode)
    t.same(statuses, [200, 200, 200])
    // A client address of its own: with Redis, the counters are shared by every app of this test file.
    const control = { method: 'GET', url: '/v1/products?limit=1', remoteAddress: '203.0.113.61' } as const
    t.equal((await limited.inject(control)).statusCode, 200, 'control: the limit of 1 is still unspent')
    t.equal((await limited.inject(control)).statusCode, 429, 'control: the limit is real')
  })

  t.test('METRICS_PORT serves /metrics on its own port only, and closes it with the app', async (t) => {
    const port = await freePort()
    // Its own app: METRICS_PORT opens a second server, and the test closes the app to see it go.
    const separate = await buildTestApp(t, { env: { METRICS_PORT: String(port), HOST: '127.0.0.1' } })
    t.equal((await separate.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'not on the API port')
    const scraped = await httpCall(`http://127.0.0.1:${port}/metrics`)
    t.equal(scraped.status, 200)
    t.match(scraped.headers['content-type'], /^text\/plain/)
    t.ok(parseExposition(scraped.body).types.has('http_request_duration_seconds'), 'the same registry')
    t.equal((await httpCall(`http://127.0.0.1:${port}/docs`)).status, 404, 'nothing else is served there')
    await separate.app.close()
    await t.rejects(httpCall(`http://127.0.0.1:${port}/metrics`), /ECONNREFUSED/, 'closed with the app')
  })
}

await runAlone(import.meta.url, metricsTests)
