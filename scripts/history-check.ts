/**
 * The long history check: the same run as test/process/history-check.test.ts (three replicas of the built server,
 * gray faults, a SIGKILL mid-run, then the checker), with more operations. Needs DATABASE_URL and REDIS_URL (a
 * scratch database is created and dropped on that server) and a build (`npm run check:history` builds first).
 *
 *   npm run check:history -- [operations=3000] [concurrency=12] [seed]
 *
 * Exits with the test's status: 0 when the history has no violation.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const [operations = '3000', concurrency = '12', seed] = process.argv.slice(2)
for (const [name, value] of [['operations', operations], ['concurrency', concurrency], ['seed', seed ?? '0']] as const) {
  if (!/^[0-9]+$/.test(value)) {
    console.error(`${name} must be a whole number, got ${JSON.stringify(value)}`)
    process.exit(2)
  }
}
if (process.env.DATABASE_URL === undefined || process.env.REDIS_URL === undefined) {
  console.error('The history check needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL')
  process.exit(2)
}

// The repository root, whether this runs from scripts/ (tsx) or from dist/scripts/ (the build).
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/scripts/') ? '../..' : '..', import.meta.url))
const child = spawn('npx', ['tap', '--disable-coverage', '--timeout', String(Math.max(300, Number(operations) / 2)), 'test/process/history-check.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    HISTORY_OPERATIONS: operations,
    HISTORY_CONCURRENCY: concurrency,
    ...(seed === undefined ? {} : { HISTORY_SEED: seed })
  }
})
child.on('exit', (code) => { process.exit(code ?? 1) })
