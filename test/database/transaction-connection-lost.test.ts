/**
 * A connection lost between two statements of a transaction (a reset, a failover, pg_terminate_backend) used to
 * emit 'error' on a checked-out pg client nobody listened to: the process shut down on an uncaught error (found
 * by test/process/history-check.test.ts under a reset-mid-response fault). Required: the transaction fails as
 * "database unavailable" (503), the process lives on, and the pool keeps working.
 */
import pg from 'pg'
import type { Test } from 'tap'
import { buildTestApp, usingPostgres } from '../helper.js'
import { isDatabaseUnavailable } from '../../src/database/errors.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function transactionConnectionLostTests (t: Test): Promise<void> {
  t.test('a connection terminated mid-transaction fails that transaction as unavailable; nothing crashes', { skip: usingPostgres ? false : 'needs DATABASE_URL (PGlite has no connection to lose)' }, async (t) => {
    const { app, config } = await buildTestApp(t)
    const killer = new pg.Client({ connectionString: config.database.url })
    await killer.connect()
    t.teardown(async () => { await killer.end() })
    const uncaught: unknown[] = []
    const record = (error: unknown) => { uncaught.push(error) }
    process.on('uncaughtException', record)
    t.teardown(() => { process.off('uncaughtException', record) })

    const failure = await app.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      await killer.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid])
      // Between two statements: the client is idle when the server's goodbye and the close arrive.
      await pause(300)
      await tx.query('SELECT 1')
    }).then(() => undefined, (error: unknown) => error)

    t.ok(failure instanceof Error, 'the transaction failed')
    t.ok(isDatabaseUnavailable(failure), `as "database unavailable", so the client gets 503 (${(failure as Error).message})`)
    t.same(uncaught, [], 'no uncaught error')
    t.same((await app.db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }], 'the pool still serves queries')
  })
}

await runAlone(import.meta.url, transactionConnectionLostTests)
