/**
 * Run settings: environment variables, overridden by flags (`npm run bench -- --rounds 2 --seconds 2`).
 * Defaults follow the method of bench/README.md: ≥ 12 interleaved rounds of 3 s after ≥ 3 s of warm-up, -c 50.
 */
export interface BenchSettings {
  rounds: number
  seconds: number
  warmupSeconds: number
  connections: number
  /** Scenario keys to run ('1'…'5'); all when unset. */
  scenarios: Set<string> | undefined
  /** Pin servers to core 0 and load to core 1 when taskset exists. */
  pin: boolean
  /**
   * Connections for scenario 4 (login). Twice libuv's 4 threads keeps argon2 saturated; 50 would only queue,
   * and with the server pinned to one core a login then takes longer than a round.
   */
  loginConnections: number
  /** Requests per second of the /health/live latency probe in scenario 4. */
  probeRate: number
  /** HTTP load generator: wrk when present (auto), or forced. */
  tool: 'auto' | 'wrk' | 'autocannon'
  /** pgbench clients; default: the service's pool size, the most transactions it ever has in flight. */
  pgbenchClients: number
  /**
   * Also run the same build with OpenTelemetry tracing on (OTLP to a local sink), as a contender beside the
   * service in scenarios 1, 2, 3 and 5: its ÷ service column is what tracing costs (docs/tracing.md).
   */
  tracing: boolean
  /**
   * A transaction-mode PgBouncer in front of the same PostgreSQL as DATABASE_URL: a second service contender runs
   * through it (DATABASE_POOLER=transaction) in scenarios 2 and 3, measured side by side with the direct one.
   */
  poolerUrl: string | undefined
  /**
   * Other checkouts of this repository, each already built (dist/): each runs as one more contender, started
   * with its own `npm start` command and the same settings, in scenarios 1, 2, 3 and 5. The notes give
   * service ÷ compare per round: an A/B of two builds side by side, in the same rounds.
   */
  compare: string[]
}

export const METHOD_MIN_ROUNDS = 12
export const METHOD_MIN_SECONDS = 3

const FLAGS: Record<string, string> = {
  rounds: 'BENCH_ROUNDS',
  seconds: 'BENCH_SECONDS',
  warmup: 'BENCH_WARMUP_SECONDS',
  connections: 'BENCH_CONNECTIONS',
  'login-connections': 'BENCH_LOGIN_CONNECTIONS',
  scenarios: 'BENCH_SCENARIOS',
  pin: 'BENCH_PIN',
  'probe-rate': 'BENCH_PROBE_RATE',
  tool: 'BENCH_TOOL',
  'pgbench-clients': 'BENCH_PGBENCH_CLIENTS',
  'pooler-url': 'BENCH_POOLER_URL'
}

export function readSettings (argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const values: Record<string, string | undefined> = {}
  for (const variable of [...Object.values(FLAGS), 'BENCH_TRACING']) values[variable] = env[variable]
  const compare = (env.BENCH_COMPARE ?? '').split(',').filter((path) => path !== '')
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? ''
    if (arg === '--no-pin') { values.BENCH_PIN = '0'; continue }
    if (arg === '--tracing') { values.BENCH_TRACING = '1'; continue }
    // Repeatable: each --compare adds a build.
    if (arg === '--compare' || arg.startsWith('--compare=')) {
      const path = arg === '--compare' ? argv[++index] : arg.slice('--compare='.length)
      if (path === undefined || path === '') throw new Error('--compare needs the path of another built checkout')
      compare.push(path)
      continue
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    const variable = match?.[1] === undefined ? undefined : FLAGS[match[1]]
    if (match === null || variable === undefined) throw new Error(`unknown argument ${arg}; known: ${Object.keys(FLAGS).map((flag) => `--${flag}`).join(' ')} --no-pin --tracing --compare`)
    values[variable] = match[2] ?? argv[++index]
  }
  const number = (variable: string, fallback: number, minimum: number) => {
    const raw = values[variable]
    if (raw === undefined || raw === '') return fallback
    const parsed = Number(raw)
    if (!Number.isFinite(parsed) || parsed < minimum) throw new Error(`${variable} must be a number ≥ ${minimum} (got "${raw}")`)
    return parsed
  }
  const scenarios = values.BENCH_SCENARIOS
  const tool = values.BENCH_TOOL ?? 'auto'
  if (tool !== 'auto' && tool !== 'wrk' && tool !== 'autocannon') throw new Error(`BENCH_TOOL must be auto, wrk or autocannon (got "${tool}")`)
  return {
    rounds: Math.floor(number('BENCH_ROUNDS', METHOD_MIN_ROUNDS, 1)),
    seconds: number('BENCH_SECONDS', METHOD_MIN_SECONDS, 1),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 3, 0),
    connections: Math.floor(number('BENCH_CONNECTIONS', 50, 1)),
    loginConnections: Math.floor(number('BENCH_LOGIN_CONNECTIONS', 8, 1)),
    scenarios: scenarios === undefined || scenarios === '' ? undefined : new Set(scenarios.split(',').map((key) => key.trim())),
    pin: values.BENCH_PIN !== '0' && values.BENCH_PIN !== 'false',
    probeRate: number('BENCH_PROBE_RATE', 50, 1),
    tool,
    pgbenchClients: Math.floor(number('BENCH_PGBENCH_CLIENTS', Number(env.DATABASE_POOL_MAX ?? 20), 1)),
    tracing: values.BENCH_TRACING === '1' || values.BENCH_TRACING === 'true',
    poolerUrl: values.BENCH_POOLER_URL === undefined || values.BENCH_POOLER_URL === '' ? undefined : values.BENCH_POOLER_URL,
    compare
  }
}

export function isSmokeRun (settings: BenchSettings): boolean {
  return settings.rounds < METHOD_MIN_ROUNDS || settings.seconds < METHOD_MIN_SECONDS
}
