import { execFile } from 'node:child_process'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Test } from 'tap'
import { testEnv } from '../helper.js'
import { testDatabaseUrl } from '../support/backends.js'
import { runAlone } from '../support/test-file.js'

const SCRIPT = fileURLToPath(new URL('../../dist/scripts/migrate.js', import.meta.url))

interface Line { level: string, msg: string, applied?: string[], database?: string, cache?: string }
interface Outcome { code: number, lines: Line[], stdout: string, stderr: string }

/** Runs the built script exactly as the Kubernetes Job does (`node dist/scripts/migrate.js`). */
async function runMigrate (env: Record<string, string>, cwd?: string): Promise<Outcome> {
  const result = await promisify(execFile)(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env }, cwd })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((error: { code: number, stdout: string, stderr: string }) => error)
  const lines = result.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Line)
  return { code: result.code, lines, stdout: result.stdout, stderr: result.stderr }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function migrateScriptTests (t: Test): Promise<void> {
  t.test('the migration job applies every migration once, then finds the schema current', async (t) => {
    const env = await testEnv(t)
    // A database nobody migrated yet: a fresh PGlite dir, or a fresh PostgreSQL database beside the test one.
    if (env.DATABASE_URL === undefined) {
      env.PGLITE_DATA_DIR = 'memory://'
    } else {
      const url = new URL(await testDatabaseUrl(t))
      const name = `${url.pathname.slice(1)}_job`
      const admin = new pg.Client({ connectionString: url.toString() })
      await admin.connect()
      await admin.query(`CREATE DATABASE ${name}`)
      t.teardown(async () => { await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); await admin.end() })
      url.pathname = `/${name}`
      env.DATABASE_URL = url.toString()
    }

    const first = await runMigrate(env)
    t.equal(first.code, 0)
    t.has(first.lines.at(-1), { level: 'info', msg: 'migrations applied' })
    t.ok((first.lines.at(-1)?.applied ?? []).includes('001.do.init.sql'), 'names the files it applied')
    if (env.DATABASE_URL !== undefined) {
      const second = await runMigrate(env)
      t.equal(second.code, 0)
      t.has(second.lines.at(-1), { msg: 'schema already current', applied: [] })
    }
  })

  t.test('the migration job fails with exit 1 when the database is unreachable', async (t) => {
    const outcome = await runMigrate({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_CONNECT_TIMEOUT_MS: '500' })
    t.equal(outcome.code, 1)
    t.has(outcome.lines.at(-1), { level: 'error', msg: 'migration failed' })
  })

  t.test('the migration job fails with exit 1 and names a bad variable', async (t) => {
    const outcome = await runMigrate({ DATABASE_URL: 'mysql://nope' })
    t.equal(outcome.code, 1)
    t.match(outcome.stderr, /DATABASE_URL/)
  })

  t.test('the command reads .env like the server, and its first line names the database with the password masked', async (t) => {
    const cwd = await mkdtemp(join(tmpdir(), 'migrate-dotenv-'))
    t.teardown(async () => { await rm(cwd, { recursive: true, force: true }) })

    // .env names an embedded database of its own: the command must migrate that one, not the default .data/pglite.
    const dataDir = join(cwd, 'from-dotenv')
    await writeFile(join(cwd, '.env'), `PGLITE_DATA_DIR=${dataDir}\n`)
    const embedded = await runMigrate({}, cwd)
    t.equal(embedded.code, 0, embedded.stderr)
    t.has(embedded.lines[0], { msg: 'migration', database: `embedded PostgreSQL (PGlite) in ${dataDir}`, cache: 'in-process memory' })
    t.has(embedded.lines.at(-1), { msg: 'migrations applied' })
    await t.resolves(access(join(dataDir, 'PG_VERSION')), 'the database of .env was created')
    await t.rejects(access(join(cwd, '.data', 'pglite')), 'the default embedded database was not touched')

    // A real environment variable wins over .env; the URL's password never reaches the output.
    const unreachable = await runMigrate({ DATABASE_URL: 'postgres://shop:hunter2-secret@127.0.0.1:1/shop', DATABASE_CONNECT_TIMEOUT_MS: '300' }, cwd)
    t.equal(unreachable.code, 1)
    t.has(unreachable.lines[0], { database: 'PostgreSQL at postgres://shop:***@127.0.0.1:1/shop' })
    t.notMatch(unreachable.stdout + unreachable.stderr, /hunter2/)
  })

  t.test('a bad DATABASE_URL is named without echoing its password', async (t) => {
    const outcome = await runMigrate({ DATABASE_URL: 'mysql://shop:hunter2-secret@db/shop', JWT_SECRET: 'short-and-secret' })
    t.equal(outcome.code, 1)
    t.match(outcome.stderr, /DATABASE_URL: .*\(got "mysql:\/\/shop:\*\*\*@db\/shop"\)/)
    t.match(outcome.stderr, /JWT_SECRET: /)
    t.notMatch(outcome.stderr, /hunter2|short-and-secret/)
  })
}

await runAlone(import.meta.url, migrateScriptTests)
