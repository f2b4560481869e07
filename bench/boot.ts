/**
 * `npm run bench:boot`: boot to ready of the built server, with Node's module compile cache and without it, and
 * with the Kubernetes release's settings (no Swagger UI, no migration check), alternating run by run (bench/README.md, Method). Reports the wall time and the CPU time the process used
 * until its first `200` from /health/ready; CPU time is the steadier figure on a shared machine.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BOOT_RUNS=10 npm run bench:boot
 *   npm run bench:boot -- --compare <another built checkout>   # also that build, in turn with this one
 *
 * With DATABASE_URL the servers boot on a throwaway database made on that server (dropped at the end), like
 * `npm run bench`; without it each build's embedded database boots from a scratch data dir made by its first run.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareBackend } from './lib/backend.js'
import { freePort } from './lib/processes.js'
import { median } from './lib/stats.js'

const RUNS = Number(process.env.BOOT_RUNS ?? 10)

interface Build { label: string, entry: string, flags: string[], scratch: string }

/** A checkout's built entry and the node flags of its `npm start`, as the image's CMD has them. */
async function buildAt (checkout: string, label: string): Promise<Build> {
  const packageJson = JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return {
    label,
    entry: join(checkout, 'dist', 'src', 'server.js'),
    flags: packageJson.scripts.start.split(' ').filter((word) => word.startsWith('--')),
    scratch: await mkdtemp(join(tmpdir(), 'bench-boot-'))
  }
}

/** BOOT_COMPARE (comma-separated) or --compare <path> (repeatable): other built checkouts, booted in turn with this one. */
function comparePaths (): string[] {
  const paths = (process.env.BOOT_COMPARE ?? '').split(',').filter((path) => path !== '')
  const argv = process.argv.slice(2)
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? ''
    if (arg === '--compare') paths.push(argv[++index] ?? '')
    else if (arg.startsWith('--compare=')) paths.push(arg.slice('--compare='.length))
    else throw new Error(`unknown argument ${arg}; known: --compare <path of another built checkout>`)
  }
  return paths.map((path) => resolve(path))
}
/** /proc/<pid>/stat counts CPU time in clock ticks of 10 ms. */
const TICK_MS = 10

async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

async function bootOnce (build: Build, env: Record<string, string>): Promise<{ wallMs: number, cpuMs: number }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...build.flags, build.entry], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    stdio: 'ignore'
  })
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((response) => response.ok, () => false)
      if (ready) return { wallMs: performance.now() - started, cpuMs: await cpuMs(child.pid ?? 0) }
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} during boot`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  } finally {
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

const builds = [await buildAt(fileURLToPath(new URL('..', import.meta.url)), 'this build')]
for (const path of comparePaths()) builds.push(await buildAt(path, `compare (${basename(path)})`))

const backend = await prepareBackend()
/** Each build its own compile cache and, on the embedded database, its own data dir. */
const environment = (build: Build, cache: boolean): Record<string, string> => ({
  JWT_SECRET: 'bench-boot-secret-that-is-long-enough-0123456789',
  NODE_COMPILE_CACHE: join(build.scratch, 'compile-cache'),
  ...backend.serviceEnv,
  ...(backend.kind === 'pglite' ? { PGLITE_DATA_DIR: join(build.scratch, 'pglite') } : {}),
  ...(cache ? {} : { NODE_DISABLE_COMPILE_CACHE: '1' })
})

/**
 * What a replica of the Kubernetes release boots with, where it differs in boot work from `npm start`'s defaults:
 * no Swagger UI (DOCS_ENABLED) and no migration check (MIGRATE_ON_START; the migration Job owns the schema). Read
 * from the release's ConfigMap source, so the figure follows it.
 */
async function releaseSettings (): Promise<Record<string, string>> {
  const text = await readFile(fileURLToPath(new URL('../deploy/k8s/release/config.env', import.meta.url)), 'utf8')
  const wanted = new Set(['DOCS_ENABLED', 'MIGRATE_ON_START'])
  return Object.fromEntries(text.split('\n')
    .map((line) => line.split('='))
    .filter(([name, value]) => name !== undefined && wanted.has(name) && value !== undefined)) as Record<string, string>
}
const release = await releaseSettings()

type Figures = Array<{ wallMs: number, cpuMs: number }>
interface Variant { label: string, cache: boolean, extra: Record<string, string> }
const variants: Variant[] = [
  { label: 'compile cache on: ', cache: true, extra: {} },
  { label: 'compile cache off:', cache: false, extra: {} },
  { label: `release config (${Object.entries(release).map(([name, value]) => `${name}=${value}`).join(', ')}):`, cache: true, extra: release }
]
const contenders = builds.flatMap((build) => variants.map((variant) => ({ build, variant, label: `${build.label}, ${variant.label}`, rows: [] as Figures })))
try {
  // The first boot creates the database (migrations) and fills the compile cache; it is not measured.
  for (const build of builds) await bootOnce(build, environment(build, true))
  for (let run = 0; run < RUNS; run++) {
    // Rotate which goes first, so a drift of the machine weighs on all alike.
    const shift = run % contenders.length
    for (const contender of [...contenders.slice(shift), ...contenders.slice(0, shift)]) {
      contender.rows.push(await bootOnce(contender.build, { ...environment(contender.build, contender.variant.cache), ...contender.variant.extra }))
    }
  }
} finally {
  for (const build of builds) await rm(build.scratch, { recursive: true, force: true })
  await backend.cleanup()
}

const summary = (rows: Figures) =>
  `wall ${median(rows.map((row) => row.wallMs)).toFixed(0)} ms (${Math.min(...rows.map((row) => row.wallMs)).toFixed(0)}–${Math.max(...rows.map((row) => row.wallMs)).toFixed(0)}), ` +
  `CPU ${median(rows.map((row) => row.cpuMs)).toFixed(0)} ms`
process.stdout.write(`Node ${process.version}, ${RUNS} rotating runs each, medians (range) to the first ready answer (${backend.description})\n`)
for (const build of builds) if (build.label !== 'this build') process.stdout.write(`  ${build.label}: ${build.entry}\n`)
for (const contender of contenders) process.stdout.write(`  ${contender.label.padEnd(40)} ${summary(contender.rows)}\n`)
