import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { testDatabaseUrl, usingPostgres } from '../support/backends.js'
import { runAlone } from '../support/test-file.js'

const SCRIPT = fileURLToPath(new URL('../../dist/scripts/seed.js', import.meta.url))

async function runSeed (env: Record<string, string>): Promise<{ code: number, line: Record<string, unknown> }> {
  const result = await promisify(execFile)(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } })
    .then(({ stdout }) => ({ code: 0, stdout }))
    .catch((error: { code: number, stdout: string }) => error)
  const lines = result.stdout.split('\n').filter((line) => line !== '')
  return { code: result.code, line: JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown> }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function seedTests (t: Test): Promise<void> {
  t.test('npm run seed loads the demo catalog once: a second run adds nothing', async (t) => {
    const env: Record<string, string> = {}
    if (usingPostgres) {
      env.DATABASE_URL = await testDatabaseUrl(t)
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'shop-seed-'))
      t.teardown(() => rm(dir, { recursive: true, force: true }))
      env.PGLITE_DATA_DIR = dir
    }
    const first = await runSeed(env)
    t.equal(first.code, 0)
    t.match(first.line, { level: 'info', msg: 'catalog seeded', inserted: 36, total: 36 })
    const second = await runSeed(env)
    t.equal(second.code, 0)
    t.match(second.line, { inserted: 0, total: 36 })
  })

  t.test('npm run seed exits 1 on bad configuration', async (t) => {
    const outcome = await runSeed({ PORT: 'not-a-port', PGLITE_DATA_DIR: 'memory://' })
    t.equal(outcome.code, 1)
  })
}

await runAlone(import.meta.url, seedTests)
