import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LoadFigures } from './load.js'
import { median } from './stats.js'

const run = promisify(execFile)

export async function pgbenchAvailable (): Promise<string | undefined> {
  try {
    const { stdout } = await run('pgbench', ['--version'])
    return stdout.trim()
  } catch {
    return undefined
  }
}

export interface PgbenchJob {
  databaseUrl: string
  /** pgbench script text (variables as :name, results kept with \gset). */
  script: string
  variables: Record<string, string>
  clients: number
  seconds: number
  /** Prefix argv with `taskset -c <core>` (the load core, like the HTTP load generator). */
  pinToCore?: number
}

/**
 * One pgbench burst: -M prepared parses each statement once per connection, as the service's order path does
 * (named statements, src/orders), -n skips pgbench's own vacuum of tables it does not use. Latency percentiles come from the
 * per-transaction log (the summary only has an average).
 */
export async function runPgbench (job: PgbenchJob): Promise<LoadFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-pgbench-'))
  try {
    const scriptFile = join(dir, 'transaction.sql')
    await writeFile(scriptFile, job.script)
    const args = [
      '-n', '-M', 'prepared', '-f', scriptFile,
      '-c', String(job.clients), '-j', '1', '-T', String(job.seconds),
      '--log', `--log-prefix=${join(dir, 'tx')}`,
      ...Object.entries(job.variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]),
      job.databaseUrl
    ]
    const argv = job.pinToCore === undefined ? ['pgbench', ...args] : ['taskset', '-c', String(job.pinToCore), 'pgbench', ...args]
    const [program = 'pgbench', ...rest] = argv
    const { stdout } = await run(program, rest, { maxBuffer: 16 * 1024 * 1024 })
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN)
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0)
    const latenciesMs = await readLatencies(dir)
    return {
      requestsPerSecond: tps,
      p50Ms: percentile(latenciesMs, 0.5),
      p99Ms: percentile(latenciesMs, 0.99),
      ok: latenciesMs.length,
      failed,
      errors: 0,
      statusCodes: {}
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function readLatencies (dir: string): Promise<number[]> {
  const latencies: number[] = []
  for (const file of await readdir(dir)) {
    if (!file.startsWith('tx.')) continue
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      // client_id transaction_no time_us script_no epoch epoch_us
      const micros = Number(line.split(' ')[2])
      if (Number.isFinite(micros) && line !== '') latencies.push(micros / 1000)
    }
  }
  return latencies
}

function percentile (values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN
  if (fraction === 0.5) return median(values)
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN
}
