/**
 * `npm run bench:boot`: boot to ready of the built server, with Node's module compile cache and without it,
 * alternating run by run (bench/README.md, Method). Reports the wall time and the CPU time the process used
 * until its first `200` from /health/ready; CPU time is the steadier figure on a shared machine.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BOOT_RUNS=10 npm run bench:boot
 *
 * Without DATABASE_URL the embedded database boots from a scratch data dir prepared by the first run.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './lib/processes.js'
import { median } from './lib/stats.js'

const ENTRY = fileURLToPath(new URL('../dist/src/server.js', import.meta.url))
const RUNS = Number(process.env.BOOT_RUNS ?? 10)
/** The node flags of `npm start`, as the image's CMD has them. */
const START_FLAGS = (JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } })
  .scripts.start.split(' ').filter((word) => word.startsWith('--'))
/** /proc/<pid>/stat counts CPU time in clock ticks of 10 ms. */
const TICK_MS = 10

async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

async function bootOnce (env: Record<string, string>): Promise<{ wallMs: number, cpuMs: number }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...START_FLAGS, ENTRY], {
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

const scratch = await mkdtemp(join(tmpdir(), 'bench-boot-'))
const base: Record<string, string> = {
  JWT_SECRET: 'bench-boot-secret-that-is-long-enough-0123456789',
  NODE_COMPILE_CACHE: join(scratch, 'compile-cache'),
  ...(process.env.DATABASE_URL === undefined ? { PGLITE_DATA_DIR: join(scratch, 'pglite') } : {})
}
// The first boot creates the embedded database and fills the compile cache; it is not measured.
await bootOnce(base)
const results = { cache: [] as Array<{ wallMs: number, cpuMs: number }>, noCache: [] as Array<{ wallMs: number, cpuMs: number }> }
for (let run = 0; run < RUNS; run++) {
  // Alternate which goes first, so a drift of the machine weighs on both alike.
  const order = run % 2 === 0 ? ['cache', 'noCache'] as const : ['noCache', 'cache'] as const
  for (const contender of order) {
    results[contender].push(await bootOnce(contender === 'cache' ? base : { ...base, NODE_DISABLE_COMPILE_CACHE: '1' }))
  }
}
await rm(scratch, { recursive: true, force: true })

const summary = (rows: Array<{ wallMs: number, cpuMs: number }>) =>
  `wall ${median(rows.map((row) => row.wallMs)).toFixed(0)} ms, CPU ${median(rows.map((row) => row.cpuMs)).toFixed(0)} ms`
process.stdout.write(`Node ${process.version}, ${RUNS} alternating runs each, medians to the first ready answer (${process.env.DATABASE_URL === undefined ? 'embedded PGlite' : 'PostgreSQL'})\n`)
process.stdout.write(`  compile cache on:  ${summary(results.cache)}\n`)
process.stdout.write(`  compile cache off: ${summary(results.noCache)}\n`)
