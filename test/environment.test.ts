import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { ConfigError } from '../src/config.js'
import { DEVELOPMENT_JWT_SECRET_FILE, describeBackends, readConfiguration } from '../src/environment.js'
import { runAlone } from './support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function environmentTests (t: Test): Promise<void> {
  // The development secret lives under the working directory's .data/, as it does for `npm run dev`; the files
  // after this one in its group find the working directory as it was.
  const previousWorkdir = process.cwd()
  const workdir = await mkdtemp(join(tmpdir(), 'environment-test-'))
  process.chdir(workdir)
  t.teardown(async () => {
    process.chdir(previousWorkdir)
    await rm(workdir, { recursive: true, force: true })
  })

  t.test('in development an unset JWT_SECRET is generated once and kept, so restarts keep clients signed in', async (t) => {
    const first = await readConfiguration({ NODE_ENV: 'development' })
    const second = await readConfiguration({})
    t.equal(first.jwt.secretSource, 'development-file')
    t.equal(second.jwt.secret, first.jwt.secret, 'the second process reads the same secret')
    t.ok(first.jwt.secret.length >= 32)
    t.equal((await readFile(DEVELOPMENT_JWT_SECRET_FILE, 'utf8')).trim(), first.jwt.secret)
    t.equal((await stat(DEVELOPMENT_JWT_SECRET_FILE)).mode & 0o777, 0o600, 'readable by its owner only')
  })

  t.test('JWT_SECRET wins; tests get a random secret per process; production still requires one', async (t) => {
    const given = await readConfiguration({ NODE_ENV: 'development', JWT_SECRET: 'g'.repeat(40) })
    t.equal(given.jwt.secretSource, 'environment')
    t.equal(given.jwt.secret, 'g'.repeat(40))
    const a = await readConfiguration({ NODE_ENV: 'test' })
    const b = await readConfiguration({ NODE_ENV: 'test' })
    t.equal(a.jwt.secretSource, 'generated')
    t.not(a.jwt.secret, b.jwt.secret)
    await t.rejects(readConfiguration({ NODE_ENV: 'production' }), ConfigError)
    await t.rejects(readConfiguration({ NODE_ENV: 'production' }), /JWT_SECRET: is required when NODE_ENV=production/)
  })

  t.test('which database and cache a process uses is described with passwords masked', async (t) => {
    const embedded = await readConfiguration({ NODE_ENV: 'test', PGLITE_DATA_DIR: '/tmp/x' })
    t.same(describeBackends(embedded), { database: 'embedded PostgreSQL (PGlite) in /tmp/x', cache: 'in-process memory' })
    const real = await readConfiguration({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://shop:s3cret@db.internal:5432/shop',
      REDIS_URL: 'redis://:r3dis@cache.internal:6379/0'
    })
    t.same(describeBackends(real), {
      database: 'PostgreSQL at postgres://shop:***@db.internal:5432/shop',
      cache: 'Redis at redis://:***@cache.internal:6379/0'
    })
  })
}

await runAlone(import.meta.url, environmentTests)
