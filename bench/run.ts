/**
 * `npm run bench`: the built service against a bare node:http ceiling, the seed Express stack and pgbench,
 * interleaved round by round (bench/README.md, Method). Writes bench/results/latest.md and latest.json.
 */
import { randomBytes } from 'node:crypto'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareBackend, redact, type Backend } from './lib/backend.js'
import { AUTOCANNON } from './lib/load.js'
import { wrkAvailable } from './lib/wrk.js'
import { describeMachine } from './lib/machine.js'
import { pgbenchAvailable } from './lib/pgbench.js'
import { freePort, LOAD_CORE, pinSelf, SERVER_CORE, startServer, tasksetAvailable, type ServerProcess } from './lib/processes.js'
import { toMarkdown, type BenchReport, type ScenarioResult } from './lib/report.js'
import { runScenario } from './lib/rounds.js'
import { planScenarios } from './lib/scenarios.js'
import { seed } from './lib/seed.js'
import { isSmokeRun, readSettings } from './lib/settings.js'
import type { CapturedResponses } from './baselines/ceiling.js'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')
const UNLIMITED = '1000000000'
const JWT = { issuer: 'fastify-shop-api-bench', audience: 'fastify-shop-api-bench:clients' }
const CORS_ORIGINS = 'https://shop.example'

function log (message: string): void {
  process.stdout.write(`[bench] ${message}\n`)
}

const settings = readSettings()
const machine = describeMachine()
const runId = `${process.pid}${randomBytes(2).toString('hex')}`
const jwtSecret = process.env.JWT_SECRET ?? randomBytes(48).toString('base64url')
const admin = {
  email: process.env.ADMIN_EMAIL ?? `bench-admin-${runId}@example.com`,
  password: process.env.ADMIN_PASSWORD ?? `bench-admin-${randomBytes(12).toString('hex')}`
}

const canPin = settings.pin && machine.nproc >= 2 && await tasksetAvailable()
const serverCore = canPin ? SERVER_CORE : undefined
const loadCore = canPin ? LOAD_CORE : undefined
if (canPin) await pinSelf(LOAD_CORE)
const pinning = canPin
  ? `taskset: every server (service, ceiling, Express) on core ${SERVER_CORE}; load generators (this process with autocannon, wrk, pgbench) on core ${LOAD_CORE}`
  : `none (${!settings.pin ? 'disabled by BENCH_PIN=0' : machine.nproc < 2 ? 'fewer than 2 CPUs' : 'taskset not found'})`
log(`machine: ${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverageAtStart}`)
log(`pinning: ${pinning}`)
const wrk = settings.tool === 'autocannon' ? undefined : await wrkAvailable()
if (settings.tool === 'wrk' && wrk === undefined) throw new Error('BENCH_TOOL=wrk but wrk is not on PATH (apt-get install -y wrk)')
const tool = wrk === undefined
  ? `${AUTOCANNON}${settings.tool === 'auto' ? ' (wrk not found)' : ''}`
  : `${wrk} -t1 --latency for the load; autocannon 9 for scenario 4's paced /health/live probe (wrk cannot pace)`
log(`tool: ${tool}`)
if (machine.loadAverageAtStart > 0.5) log(`warning: load average ${machine.loadAverageAtStart} — something else is using the machine; figures will be noisy`)

const backend = await prepareBackend()
log(`back end: ${backend.description}`)
const running: ServerProcess[] = []
const scratch = await mkdtemp(join(tmpdir(), 'bench-run-'))

let cleaning: Promise<void> | undefined
/** Stops every server, drops the throwaway database and Redis keys, removes temp files; safe to call twice. */
async function cleanUp (): Promise<void> {
  cleaning ??= (async () => {
    for (const server of running.reverse()) await server.stop().catch(() => undefined)
    await backend.cleanup().catch((error: unknown) => { log(`cleanup failed: ${String(error)}`) })
    await rm(scratch, { recursive: true, force: true })
  })()
  return cleaning
}
// Ctrl-C mid-run must not leave a bench_<pid> database or a server behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`)
    cleanUp().finally(() => process.exit(130))
  })
}

try {
  const report = await benchmark(backend)
  await mkdir(RESULTS_DIR, { recursive: true })
  const markdown = toMarkdown(report)
  await writeFile(join(RESULTS_DIR, 'latest.md'), markdown)
  await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(`\n${markdown}\n`)
  log('written: bench/results/latest.md, bench/results/latest.json')
} finally {
  await cleanUp()
}

function serviceEnv (port: number): Record<string, string> {
  return {
    ...backend.serviceEnv,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: jwtSecret,
    JWT_ISSUER: JWT.issuer,
    JWT_AUDIENCE: JWT.audience,
    // A full run takes minutes; the customer's token must outlive it.
    ACCESS_TOKEN_TTL: '2h',
    // "Effectively unlimited": the limiter still counts every request (its cost is measured), it never says 429.
    RATE_LIMIT_MAX: UNLIMITED,
    AUTH_RATE_LIMIT_MAX: UNLIMITED,
    ORDER_RATE_LIMIT_MAX: UNLIMITED,
    // One customer places every order of a run; its open units would reach the cap within a second.
    CUSTOMER_MAX_OPEN_UNITS: UNLIMITED,
    CORS_ORIGINS,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password
  }
}

/** What `npm start` runs once it has built (package.json), V8 flags included: the production command. */
async function productionCommand (checkout = REPO_ROOT): Promise<string[]> {
  const packageJson = JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return packageJson.scripts.start.split(' ')
}

async function startService (pinToCore: number | undefined, name = 'service', extraEnv: Record<string, string> = {}, checkout = REPO_ROOT): Promise<ServerProcess> {
  const port = await freePort()
  return startServer({
    name,
    command: await productionCommand(checkout),
    cwd: checkout,
    env: { ...serviceEnv(port), ...extraEnv },
    port,
    readyPath: '/health/ready',
    pinToCore,
    readyTimeoutMs: 120_000
  })
}

/**
 * BENCH_POOLER_URL: a second service, same build and settings, reaching the same throwaway database through a
 * transaction-mode PgBouncer that points at the same PostgreSQL (the database name is replaced by the run's).
 */
async function startPooledService (notes: string[]): Promise<ServerProcess | undefined> {
  if (settings.poolerUrl === undefined) return undefined
  if (backend.databaseUrl === undefined) {
    notes.push('BENCH_POOLER_URL ignored: it needs DATABASE_URL (PgBouncer in front of that PostgreSQL)')
    return undefined
  }
  const url = new URL(settings.poolerUrl)
  url.pathname = new URL(backend.databaseUrl).pathname
  log(`starting the service through PgBouncer at ${redact(settings.poolerUrl)}`)
  notes.push(`service via PgBouncer: ${redact(url.toString())}, DATABASE_POOLER=transaction, same pool size`)
  return startService(serverCore, 'service-pooled', { DATABASE_URL: url.toString(), DATABASE_POOLER: 'transaction', MIGRATE_ON_START: 'false' })
}

/**
 * --compare: another checkout's build, started like the service (its own `npm start` command, same settings, the
 * seeded data; on PGlite a copy of it), as one more contender. It is not built here: build it first.
 */
async function startCompareServices (databases: Array<{ databaseUrl: string } | { pgliteDir: string }>, notes: string[]): Promise<ServerProcess[]> {
  const started: ServerProcess[] = []
  for (const [index, path] of settings.compare.entries()) {
    const checkout = resolve(path)
    await access(join(checkout, 'dist', 'src', 'server.js')).catch(() => {
      throw new Error(`--compare ${path}: no dist/src/server.js there (run npm run build in that checkout first)`)
    })
    const name = `compare ${index + 1} (${basename(checkout)})`
    const database = databases[index]
    log(`starting ${name} from ${checkout}`)
    const server = await startService(serverCore, name, database !== undefined && 'pgliteDir' in database ? { PGLITE_DATA_DIR: database.pgliteDir } : {}, checkout)
    running.push(server)
    started.push(server)
    notes.push(`${name}: the build in ${checkout}${backend.kind === 'pglite' ? ' (its own copy of the seeded PGlite data dir)' : ' (same database and Redis prefix)'}`)
  }
  return started
}

/**
 * The first boot creates the database (PGlite: initdb, seconds of CPU). It runs unpinned and gets one retry:
 * on a busy machine initdb can outlast Fastify's 10 s plugin timeout, which says nothing about the hot paths.
 */
async function startColdService (notes: string[]): Promise<ServerProcess> {
  try {
    return await startService(undefined)
  } catch (error) {
    const reason = (error as Error).message.split('\n').filter((line) => line !== '' && !line.startsWith('---')).slice(-3).join(' | ')
    notes.push(`the cold boot failed once and was retried on an empty database: ${reason}`)
    log(`cold boot failed, retrying once: ${reason}`)
    await backend.reset()
    return startService(undefined)
  }
}

async function capture (server: ServerProcess, paths: string[]): Promise<CapturedResponses> {
  const captured: CapturedResponses = {}
  for (const path of paths) {
    // identity: the load generators send no accept-encoding, so they get (and the ceiling must serve) plain bytes.
    const response = await fetch(`${server.baseUrl}${path}`, { headers: { 'accept-encoding': 'identity' } })
    const body = Buffer.from(await response.arrayBuffer())
    if (response.status !== 200) throw new Error(`capturing ${path}: status ${response.status} ${body.toString().slice(0, 200)}`)
    captured[path] = { contentType: response.headers.get('content-type') ?? 'application/json', bodyBase64: body.toString('base64') }
  }
  return captured
}

async function benchmark (backend: Backend): Promise<BenchReport> {
  const notes: string[] = []

  // Boot 1 makes the data through the public API, then stops, so PGlite's files can be copied for Express.
  log('starting the service (cold: new database, unpinned)')
  const seeding = await startColdService(notes)
  running.push(seeding)
  const coldBootMs = seeding.bootMs
  const data = await seed(seeding.baseUrl, admin, runId)
  for (const problem of data.problems) notes.push(`setup: ${problem}`)
  await seeding.stop()
  running.splice(running.indexOf(seeding), 1)
  const expressDatabase = await backend.databaseForExpress()
  const tracedDatabase = settings.tracing ? await backend.databaseForExpress('traced') : undefined
  // Copies (PGlite) are taken now, while no server has the data dir open.
  const compareDatabases: Array<{ databaseUrl: string } | { pgliteDir: string }> = []
  for (const index of settings.compare.keys()) compareDatabases.push(await backend.databaseForExpress(`compare-${index + 1}`))

  log('starting the service (warm: existing database)')
  const service = await startService(serverCore)
  running.push(service)
  const warnings = service.recentOutput()
  if (warnings.length > 0) notes.push(`service printed at boot: ${warnings.join(' | ').slice(0, 500)}`)

  const paths = {
    product: data.readProductId === undefined ? undefined : `/v1/products/${data.readProductId}`,
    list: data.routes.has('get /v1/products') && data.readProductId !== undefined ? '/v1/products?limit=20' : undefined,
    live: '/health/live'
  }
  const capturedPaths = [paths.product, paths.list, paths.live].filter((path): path is string => path !== undefined)
  const captured = await capture(service, capturedPaths)
  const capturedFile = join(scratch, 'captured.json')
  await writeFile(capturedFile, JSON.stringify(captured))

  const ceilingPort = await freePort()
  const ceiling = await startServer({
    name: 'ceiling',
    command: ['node', '--import', 'tsx', 'bench/baselines/ceiling.ts', capturedFile],
    cwd: REPO_ROOT,
    env: { PORT: String(ceilingPort), NODE_ENV: 'production' },
    port: ceilingPort,
    readyPath: '/health/live',
    pinToCore: serverCore
  })
  running.push(ceiling)

  const expressPort = await freePort()
  const express = await startServer({
    name: 'express',
    command: ['node', '--import', 'tsx', 'bench/baselines/express.ts'],
    cwd: REPO_ROOT,
    env: {
      ...('databaseUrl' in expressDatabase ? { DATABASE_URL: expressDatabase.databaseUrl } : { PGLITE_DATA_DIR: expressDatabase.pgliteDir }),
      NODE_ENV: 'production',
      PORT: String(expressPort),
      JWT_SECRET: jwtSecret,
      JWT_ISSUER: JWT.issuer,
      JWT_AUDIENCE: JWT.audience,
      RATE_LIMIT_MAX: UNLIMITED,
      CORS_ORIGINS
    },
    port: expressPort,
    readyPath: '/health/live',
    pinToCore: serverCore
  })
  running.push(express)
  if (paths.product !== undefined) notes.push(await compareBytes(express, paths.product, captured))

  const traced = tracedDatabase === undefined ? undefined : await startTracedService(tracedDatabase, notes)
  const pooled = await startPooledService(notes)
  if (pooled !== undefined) running.push(pooled)
  const compare = await startCompareServices(compareDatabases, notes)

  const pgbench = backend.databaseUrl === undefined ? undefined : await pgbenchAvailable()
  const plans = planScenarios({ data, paths, servers: { service, ceiling, express, traced: traced?.service, ...(pooled === undefined ? {} : { pooled }), compare }, pgbench, backend, settings })
  const context = { settings, wrk, loadCore, log }

  const results: ScenarioResult[] = []
  let peakRssDuringScenario1Kb: number | undefined
  let peakRssNote = 'scenario 1 did not run'
  for (const plan of plans) {
    const selected = settings.scenarios === undefined || settings.scenarios.has(plan.key)
    if (!selected) continue
    if (plan.key === '1' && plan.skipped === undefined) {
      const reset = await service.resetPeakRss()
      for (const other of compare) await other.resetPeakRss()
      const result = await runScenario(plan, context)
      peakRssDuringScenario1Kb = await service.peakRssKb()
      for (const other of compare) {
        const peak = await other.peakRssKb()
        notes.push(`${other.name}: peak RSS during scenario 1 ${peak === undefined ? 'not measured' : `${(peak / 1024).toFixed(1)} MiB`} (the service's: ${((peakRssDuringScenario1Kb ?? Number.NaN) / 1024).toFixed(1)} MiB)`)
      }
      peakRssNote = reset ? 'VmHWM reset just before its warm-up, read after its last round' : 'VmHWM since process start (reset not permitted)'
      results.push(result)
    } else {
      results.push(await runScenario(plan, context))
    }
  }
  if (traced !== undefined) notes.push(await traced.report())
  for (const baseline of [ceiling, express, ...compare]) {
    const printed = baseline.recentOutput()
    if (printed.length > 0) notes.push(`${baseline.name} printed (last lines): ${printed.slice(-5).join(' | ').slice(0, 800)}`)
  }
  const printedDuringRun = service.linesPrinted() - warnings.length
  if (printedDuringRun > 0) {
    notes.push(`service printed ${printedDuringRun} line(s) during the run; the last: ${service.recentOutput().slice(-Math.min(5, printedDuringRun)).join(' | ').slice(0, 800)}`)
  }

  const busy = machine.loadAverageAtStart > 0.5 ? `; the machine was busy (1-min load average ${machine.loadAverageAtStart} at start)` : ''
  return {
    label: isSmokeRun(settings)
      ? `SMOKE RUN (${settings.rounds} rounds × ${settings.seconds} s, below the method's 12 × 3 s): proves the harness works end to end; the figures are not evidence${busy}`
      : `full run${busy}`,
    date: new Date().toISOString(),
    machine,
    backend: backend.description,
    tool: `${tool}${pgbench === undefined ? '' : `; ${pgbench}`}`,
    pinning,
    settings: { ...settings, scenarios: settings.scenarios === undefined ? 'all' : [...settings.scenarios] },
    service: { coldBootMs, warmBootMs: service.bootMs, peakRssDuringScenario1Kb, peakRssNote },
    scenarios: results,
    notes
  }
}

/**
 * --tracing: the same build with tracing on, exporting OTLP/HTTP (the SDK's defaults otherwise: every request
 * sampled, batches of 512 every 5 s, a 2048-span queue) to a stand-in collector on the load core.
 */
async function startTracedService (database: { databaseUrl: string } | { pgliteDir: string }, notes: string[]) {
  const sinkPort = await freePort()
  const sink = await startServer({
    name: 'otlp sink',
    command: ['node', '--import', 'tsx', 'bench/baselines/otlp-sink.ts'],
    cwd: REPO_ROOT,
    env: { PORT: String(sinkPort) },
    port: sinkPort,
    readyPath: '/',
    pinToCore: loadCore
  })
  running.push(sink)
  log('starting the service with tracing on (OTEL_TRACES_EXPORTER=otlp)')
  const service = await startService(serverCore, 'service, tracing on', {
    ...('databaseUrl' in database ? { DATABASE_URL: database.databaseUrl } : { PGLITE_DATA_DIR: database.pgliteDir }),
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.baseUrl,
    OTEL_SERVICE_NAME: 'fastify-shop-api-bench'
  })
  running.push(service)
  const warnings = service.recentOutput()
  if (warnings.length > 0) notes.push(`the traced service printed at boot: ${warnings.join(' | ').slice(0, 500)}`)
  return {
    service,
    report: async () => {
      const counts = await (await fetch(sink.baseUrl)).json() as { exports: number, bytes: number }
      const printed = service.recentOutput().slice(-3).join(' | ').slice(0, 400)
      return `tracing on: the OTLP sink received ${counts.exports} exports, ${(counts.bytes / 1024 / 1024).toFixed(1)} MiB` +
        (printed === '' ? '' : `; the traced service printed (last lines): ${printed}`)
    }
  }
}

async function compareBytes (server: ServerProcess, path: string, captured: CapturedResponses): Promise<string> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: { 'accept-encoding': 'identity' } })
  const body = Buffer.from(await response.arrayBuffer())
  const expected = Buffer.from(captured[path]?.bodyBase64 ?? '', 'base64')
  return body.equals(expected)
    ? `Express answers ${path} with the service's exact body (${body.length} bytes)`
    : `WARNING: Express's body for ${path} differs from the service's (${body.length} vs ${expected.length} bytes): ${body.toString().slice(0, 200)}`
}
