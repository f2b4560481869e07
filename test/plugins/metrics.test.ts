import t from 'tap'
import { buildTestApp } from '../helper.js'

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

async function scrape (app: Awaited<ReturnType<typeof buildTestApp>>['app']) {
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  return { response, ...parseExposition(response.body) }
}

t.test('metrics are served as Prometheus text', async (t) => {
  const { app } = await buildTestApp(t)
  const { response, samples } = await scrape(app)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.ok(samples.length > 0)
})

t.test('request durations are labelled by route pattern, method and status code', async (t) => {
  const { app } = await buildTestApp(t)
  await app.inject({ method: 'GET', url: '/health/live' })
  await app.inject({ method: 'GET', url: '/health/live?probe=1' })
  const { samples, types } = await scrape(app)
  t.equal(types.get('http_request_duration_seconds'), 'histogram')
  const count = samples.find((sample) => sample.name === 'http_request_duration_seconds_count' &&
    sample.labels.route === '/health/live' && sample.labels.method === 'GET' && sample.labels.status_code === '200')
  t.equal(count?.value, 2, 'both requests counted under the pattern, the query string ignored')
  t.ok(samples.some((sample) => sample.name === 'http_request_duration_seconds_bucket' && sample.labels.le === '+Inf'))
})

t.test('unknown URLs share one route label instead of one series per URL', async (t) => {
  const { app } = await buildTestApp(t)
  await app.inject({ method: 'GET', url: '/no/such/thing-1' })
  await app.inject({ method: 'GET', url: '/no/such/thing-2' })
  const { samples } = await scrape(app)
  const routes = new Set(samples.filter((sample) => sample.name === 'http_request_duration_seconds_count').map((sample) => sample.labels.route))
  t.notOk([...routes].some((route) => route?.startsWith('/no/such') === true), 'raw URLs never become labels')
  const unmatched = samples.find((sample) => sample.name === 'http_request_duration_seconds_count' &&
    sample.labels.route === 'unmatched' && sample.labels.status_code === '404')
  t.equal(unmatched?.value, 2)
})

t.test('process and event-loop metrics are exposed', async (t) => {
  const { app } = await buildTestApp(t)
  const { types } = await scrape(app)
  t.ok(types.has('process_cpu_seconds_total'))
  t.ok(types.has('process_resident_memory_bytes'))
  t.ok(types.has('nodejs_eventloop_lag_seconds'))
  t.ok(types.has('nodejs_eventloop_lag_p99_seconds'))
})

t.test('database pool figures come from the live pool', async (t) => {
  const { app } = await buildTestApp(t)
  const { samples } = await scrape(app)
  const stats = app.db.poolStats()
  const value = (name: string) => samples.find((sample) => sample.name === name)?.value
  t.ok((value('db_pool_connections_total') ?? 0) >= 1, 'the migrated database holds at least one connection')
  t.equal(value('db_pool_connections_total'), stats.total)
  t.type(value('db_pool_connections_idle'), 'number')
  t.equal(value('db_pool_waiting_requests'), 0)
})

t.test('cache hits, misses and errors are counted', async (t) => {
  const { app } = await buildTestApp(t)
  await app.cache.set('metrics-test', { n: 1 })
  await app.cache.get('metrics-test')
  await app.cache.get('metrics-test')
  await app.cache.get('metrics-test-absent')
  const { samples } = await scrape(app)
  const value = (name: string) => samples.find((sample) => sample.name === name && sample.labels.backend === app.cache.kind)?.value
  t.equal(value('cache_hits_total'), 2)
  t.equal(value('cache_misses_total'), 1)
  t.equal(value('cache_errors_total'), 0)
})

t.test('two apps in one process keep separate figures', async (t) => {
  const first = await buildTestApp(t)
  const second = await buildTestApp(t)
  await first.app.inject({ method: 'GET', url: '/health/live' })
  const { samples } = await scrape(second.app)
  const live = samples.find((sample) => sample.name === 'http_request_duration_seconds_count' && sample.labels.route === '/health/live')
  t.equal(live, undefined, 'the second app saw no /health/live request')
})

t.test('scrapes are never rate limited', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '1' } })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'GET', url: '/metrics' })).statusCode)
  t.same(statuses, [200, 200, 200])
})
