/**
 * `npm run bench`: the built service against a bare node:http ceiling, the seed Express stack and pgbench,
 * interleaved round by round (BENCHMARKING.md). Writes bench/results/latest.md and latest.json.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareBackend, type Backend } from './lib/backend.js'
import { AUTOCANNON, runLoad, type LoadFigures, type LoadRequest } from './lib/load.js'
import { runWrk, wrkAvailable } from './lib/wrk.js'
import { describeMachine } from './lib/machine.js'
import { pgbenchAvailable, runPgbench } from './lib/pgbench.js'
import { freePort, LOAD_CORE, pinSelf, SERVER_CORE, startServer, tasksetAvailable, type ServerProcess } from './lib/processes.js'
import { toMarkdown, type BenchReport, type ContenderResult, type Role, type ScenarioResult } from './lib/report.js'
import { seed, type SeededData } from './lib/seed.js'
import { isSmokeRun, readSettings } from './lib/settings.js'
import { median, perRoundRatios, rotate } from './lib/stats.js'
import type { CapturedResponses } from './baselines/ceiling.js'
import { orderTransactionScript } from './lib/order-transaction.js'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')
const UNLIMITED = '1000000000'
const JWT = { issuer: 'fastify-shop-api-bench', audience: 'fastify-shop-api-bench:clients' }
const CORS_ORIGINS = 'https://shop.example'

interface HttpContender { kind: 'http', name: string, role: Role, server: ServerProcess }
interface PgbenchContender { kind: 'pgbench', name: string, role: 'pgbench', databaseUrl: string, variables: Record<string, string> }
type Contender = HttpContender | PgbenchContender

interface ScenarioPlan {
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
    CORS_ORIGINS,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password
  }
}

async function startService (pinToCore: number | undefined): Promise<ServerProcess> {
  const port = await freePort()
  return startServer({
    name: 'service',
    command: ['node', 'dist/src/server.js'],
    cwd: REPO_ROOT,
    env: serviceEnv(port),
    port,
    readyPath: '/health/ready',
    pinToCore,
    readyTimeoutMs: 120_000
  })
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

  const pgbench = backend.databaseUrl === undefined ? undefined : await pgbenchAvailable()
  const plans = planScenarios(data, paths, { service, ceiling, express }, pgbench, notes)

  const results: ScenarioResult[] = []
  let peakRssDuringScenario1Kb: number | undefined
  let peakRssNote = 'scenario 1 did not run'
  for (const plan of plans) {
    const selected = settings.scenarios === undefined || settings.scenarios.has(plan.key)
    if (!selected) continue
    if (plan.key === '1' && plan.skipped === undefined) {
      const reset = await service.resetPeakRss()
      const result = await runScenario(plan)
      peakRssDuringScenario1Kb = await service.peakRssKb()
      peakRssNote = reset ? 'VmHWM reset just before its warm-up, read after its last round' : 'VmHWM since process start (reset not permitted)'
      results.push(result)
    } else {
      results.push(await runScenario(plan))
    }
  }
  for (const baseline of [ceiling, express]) {
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

async function compareBytes (server: ServerProcess, path: string, captured: CapturedResponses): Promise<string> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: { 'accept-encoding': 'identity' } })
  const body = Buffer.from(await response.arrayBuffer())
  const expected = Buffer.from(captured[path]?.bodyBase64 ?? '', 'base64')
  return body.equals(expected)
    ? `Express answers ${path} with the service's exact body (${body.length} bytes)`
    : `WARNING: Express's body for ${path} differs from the service's (${body.length} vs ${expected.length} bytes): ${body.toString().slice(0, 200)}`
}

function planScenarios (
  data: SeededData,
  paths: { product: string | undefined, list: string | undefined, live: string },
  servers: { service: ServerProcess, ceiling: ServerProcess, express: ServerProcess },
  pgbench: string | undefined,
  notes: string[]
): ScenarioPlan[] {
  const http = (name: string, role: Role, server: ServerProcess): HttpContender => ({ kind: 'http', name, role, server })
  const service = http('service (Fastify, built)', 'service', servers.service)
  const ceiling = http('ceiling (node:http, captured bytes)', 'ceiling', servers.ceiling)
  const express = http('Express 5 stack', 'express', servers.express)
  const missing = (route: string) => data.routes.has(route) ? undefined : `route missing (${route})`

  const plans: ScenarioPlan[] = []
  plans.push({
    key: '1',
    title: 'GET /v1/products/:id (cached)',
    contenders: [service, ceiling, express],
    connections: settings.connections,
    notes: [],
    ...(paths.product === undefined
      ? { skipped: missing('get /v1/products/{id}') ?? 'no product could be created (see notes)' }
      : { request: { method: 'GET', path: paths.product } })
  })
  plans.push({
    key: '2',
    title: 'GET /v1/products?limit=20',
    contenders: [service, ceiling],
    connections: settings.connections,
    notes: [],
    ...(paths.list === undefined
      ? { skipped: missing('get /v1/products') ?? 'no products could be created (see notes)' }
      : { request: { method: 'GET', path: paths.list } })
  })

  const orderSkip = missing('post /v1/orders') ??
    (data.customer === undefined || data.orderProductId === undefined ? 'no customer token or orderable product (see notes)' : undefined)
  const orderPlan: ScenarioPlan = { key: '3', title: 'POST /v1/orders (1 line, bearer)', contenders: [service, express], connections: settings.connections, notes: [] }
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
      orderPlan.contenders.push({
        kind: 'pgbench',
        name: `pgbench (same transaction SQL, ${settings.pgbenchClients} clients)`,
        role: 'pgbench',
        databaseUrl: backend.databaseUrl,
        variables: { product_id: data.orderProductId, user_id: data.customer.id }
      })
      orderPlan.notes.push(`pgbench runs ${settings.pgbenchClients} clients = the service's pool size, the most order transactions the service has in flight at once`)
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

  plans.push({ key: '5', title: 'GET /health/live', contenders: [service, ceiling], connections: settings.connections, request: { method: 'GET', path: paths.live }, notes: [] })
  return plans
}

async function measure (contender: Contender, request: LoadRequest, seconds: number, connections: number): Promise<LoadFigures> {
  if (contender.kind === 'pgbench') {
    return runPgbench({
      databaseUrl: contender.databaseUrl,
      script: orderTransactionScript(),
      variables: contender.variables,
      clients: settings.pgbenchClients,
      seconds: Math.max(1, Math.round(seconds)),
      pinToCore: loadCore
    })
  }
  if (wrk !== undefined) return runWrk(contender.server.baseUrl, request, { connections, seconds }, loadCore)
  return runLoad(contender.server.baseUrl, request, { connections, seconds })
}

async function runScenario (plan: ScenarioPlan): Promise<ScenarioResult> {
  const { request } = plan
  if (plan.skipped !== undefined || request === undefined) {
    log(`scenario ${plan.key} ${plan.title}: skipped: ${plan.skipped ?? 'no request'}`)
    return { key: plan.key, title: plan.title, skipped: plan.skipped ?? 'no request', contenders: [], notes: plan.notes }
  }
  for (const contender of plan.contenders) {
    if (contender.kind === 'http') plan.notes.push(...await checkAnswer(contender, request))
  }
  log(`scenario ${plan.key} ${plan.title}: warm-up ${settings.warmupSeconds} s per contender`)
  if (settings.warmupSeconds > 0) {
    for (const contender of plan.contenders) await measure(contender, request, settings.warmupSeconds, plan.connections)
  }
  const rounds = new Map<string, LoadFigures[]>(plan.contenders.map((contender) => [contender.name, []]))
  const probeRounds: LoadFigures[] = []
  const probeTarget = plan.contenders.find((contender): contender is HttpContender => contender.kind === 'http' && contender.role === 'service')
  for (let round = 0; round < settings.rounds; round++) {
    for (const contender of rotate(plan.contenders, round)) {
      const probing = plan.probe !== undefined && contender === probeTarget
        ? runLoad(probeTarget.server.baseUrl, plan.probe, { connections: 1, seconds: settings.seconds, overallRate: settings.probeRate })
        : undefined
      const figures = await measure(contender, request, settings.seconds, plan.connections)
      rounds.get(contender.name)?.push(figures)
      if (probing !== undefined) probeRounds.push(await probing)
    }
    const summary = plan.contenders.map((contender) => `${contender.name.split(' ')[0] ?? ''} ${Math.round(rounds.get(contender.name)?.at(-1)?.requestsPerSecond ?? 0)}`)
    log(`  round ${round + 1}/${settings.rounds}: ${summary.join(', ')} req/s`)
  }

  const reference = (role: Role) => {
    const found = plan.contenders.find((contender) => contender.role === role)
    return found === undefined ? undefined : (rounds.get(found.name) ?? []).map((figures) => figures.requestsPerSecond)
  }
  const references = { ceiling: reference('ceiling'), express: reference('express'), pgbench: reference('pgbench') }
  const contenders: ContenderResult[] = plan.contenders.map((contender) => {
    const figures = rounds.get(contender.name) ?? []
    const rates = figures.map((figure) => figure.requestsPerSecond)
    const ratios: ContenderResult['ratios'] = {}
    for (const [name, referenceRates] of Object.entries(references) as Array<[keyof typeof references, number[] | undefined]>) {
      if (referenceRates !== undefined && contender.role !== name) ratios[name] = median(perRoundRatios(rates, referenceRates))
    }
    return summarise(contender.name, contender.role, figures, ratios)
  })
  if (plan.probe !== undefined) contenders.push(summarise('service /health/live probe during login load', 'probe', probeRounds, {}))
  for (const contender of contenders) {
    const empty = contender.rounds.filter((figures) => figures.ok === 0).length
    if (empty > 0) plan.notes.push(`${contender.name}: ${empty} round(s) completed no request at all (latency longer than the round?): raise BENCH_SECONDS or check the machine`)
    if (contender.failed > 0 || contender.errors > 0) {
      const codes = contender.rounds.flatMap((figures) => Object.entries(figures.statusCodes)).filter(([code]) => !code.startsWith('2'))
      const statuses = contender.failed > 0 ? ` (${[...new Set(codes.map(([code]) => code))].join(', ')})` : ''
      plan.notes.push(`${contender.name}: ${contender.failed} non-2xx${statuses} and ${contender.errors} connection errors or timeouts across all rounds: treat its figures with suspicion`)
    }
  }
  return { key: plan.key, title: plan.title, contenders, notes: plan.notes }
}

/** One request before the load: a contender that answers an error would otherwise post a fast, meaningless figure. */
async function checkAnswer (contender: HttpContender, request: LoadRequest): Promise<string[]> {
  try {
    const response = await fetch(`${contender.server.baseUrl}${request.path}`, {
      method: request.method,
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(10_000)
    })
    const body = await response.text()
    if (response.ok) return []
    return [`WARNING: ${contender.name} answered ${response.status} before the load: ${body.slice(0, 300)}`]
  } catch (error) {
    return [`WARNING: ${contender.name} did not answer before the load: ${(error as Error).message}`]
  }
}

function summarise (name: string, role: Role, rounds: LoadFigures[], ratios: ContenderResult['ratios']): ContenderResult {
  return {
    name,
    role,
    rounds,
    requestsPerSecond: median(rounds.map((figures) => figures.requestsPerSecond)),
    p50Ms: median(rounds.map((figures) => figures.p50Ms)),
    p99Ms: median(rounds.map((figures) => figures.p99Ms)),
    ratios,
    failed: rounds.reduce((sum, figures) => sum + figures.failed, 0),
    errors: rounds.reduce((sum, figures) => sum + figures.errors, 0)
  }
}
