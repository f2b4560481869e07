/**
 * Which database errors are "unavailable right now" (503, retry later) rather than our bug (500): errors made by a
 * real PostgreSQL, not hand-built objects.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import { usingPostgres } from '../helper.js'
import { isConnectionFailure, isDatabaseUnavailable } from '../../src/database/errors.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function errorsTests (t: Test): Promise<void> {
  t.test('a server out of connection slots (SQLSTATE 53300) is unavailable, not a bug', { skip: usingPostgres ? false : 'needs DATABASE_URL (PGlite has no connection slots)' }, async (t) => {
    const adminUrl = new URL(process.env.DATABASE_URL ?? '')
    const role = `shop_limited_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl.toString() })
    await admin.connect()
    // A role allowed one connection answers a second one exactly as a full server does: "too many connections".
    await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`)
    t.teardown(async () => {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
      await admin.query(`DROP ROLE IF EXISTS ${role}`)
      await admin.end()
    })
    const url = new URL(adminUrl.toString())
    url.username = role
    const first = new pg.Client({ connectionString: url.toString() })
    await first.connect()
    t.teardown(async () => { await first.end() })

    const refused = await new pg.Client({ connectionString: url.toString() }).connect().then(() => undefined, (error: unknown) => error)
    t.equal((refused as { code?: unknown }).code, '53300', 'PostgreSQL refused the connection for want of slots')
    t.ok(isDatabaseUnavailable(refused), 'answered 503 with retry-after')
    t.ok(isConnectionFailure(refused), 'and counted by the circuit breaker like any refused connection')
  })

  t.test('a constraint violation is neither', async (t) => {
    const violation = Object.assign(new Error('duplicate key value violates unique constraint "products_sku_key"'), { code: '23505' })
    t.notOk(isDatabaseUnavailable(violation))
  })
}

await runAlone(import.meta.url, errorsTests)
