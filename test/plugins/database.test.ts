import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { buildTestApp, usingPostgres } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function databaseTests (t: Test): Promise<void> {
  // The first two tests only use their own probe tables, so they share one app.
  const { app } = await buildTestApp(t)

  t.test('transaction commits when fn resolves and writes nothing when it throws', async (t) => {
    await app.db.query('CREATE TABLE tx_probe (n int PRIMARY KEY)')
    const result = await app.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (n) VALUES ($1), ($2)', [1, 2])
      return 'committed'
    })
    t.equal(result, 'committed')
    await t.rejects(app.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (n) VALUES ($1)', [3])
      throw new Error('changed my mind')
    }), /changed my mind/)
    await t.rejects(app.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (n) VALUES ($1)', [4])
      await tx.query('INSERT INTO tx_probe (n) VALUES ($1)', [1])
    }), { code: '23505' }, 'a constraint error rolls back the earlier statements too')
    const { rows, rowCount } = await app.db.query<{ n: number }>('SELECT n FROM tx_probe ORDER BY n')
    t.same(rows.map((row) => row.n), [1, 2])
    t.equal(rowCount, 2)
    await app.db.query('DROP TABLE tx_probe')
  })

  t.test('rowCount counts affected rows on both back ends', async (t) => {
    await app.db.query('CREATE TABLE count_probe (n int)')
    t.equal((await app.db.query('INSERT INTO count_probe SELECT generate_series(1, 5)')).rowCount, 5)
    t.equal((await app.db.query('UPDATE count_probe SET n = n + 1 WHERE n > $1', [2])).rowCount, 3)
    t.equal((await app.db.query('DELETE FROM count_probe')).rowCount, 5)
    await app.db.query('DROP TABLE count_probe')
  })

  t.test('a new embedded database migrates and loads the demo catalog at its first boot only', { skip: usingPostgres ? 'embedded PGlite only' : false }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-first-boot-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const first = await buildTestApp(t, { pgliteDir: dir })
    const count = async () => (await first.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM products')).rows[0]?.n
    t.equal(await count(), 36)
    await first.app.db.query('DELETE FROM products')
    await first.app.close()
    const second = await buildTestApp(t, { pgliteDir: dir })
    t.equal((await second.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM products')).rows[0]?.n, 0, 'not seeded again')
  })

  t.test('a transaction the server ends while it sits idle fails that request, not the process', { skip: usingPostgres ? false : 'needs DATABASE_URL: PGlite has no idle-in-transaction timeout' }, async (t) => {
    // 200 ms statements: the server ends a transaction idle for 400 ms, between two of its statements. pg reports
    // that as an 'error' event on a client checked out of the pool, which nothing but the transaction listens to.
    const { app } = await buildTestApp(t, { env: { DATABASE_STATEMENT_TIMEOUT_MS: '200' } })
    await t.rejects(app.db.transaction(async (tx) => {
      await tx.query('SELECT 1')
      await new Promise((resolve) => setTimeout(resolve, 1500))
      return tx.query('SELECT 1')
    }))
    t.same((await app.db.query<{ ok: number }>('SELECT 1 AS ok')).rows, [{ ok: 1 }], 'the pool carries on with a new connection')
  })
}

await runAlone(import.meta.url, databaseTests)
