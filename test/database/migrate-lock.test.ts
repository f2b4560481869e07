/**
 * Replicas that boot at once each migrate the same database (MIGRATE_ON_START, `docker compose up --scale`).
 * Without a lock both read "version 0" and both run 001, and one boot fails on what the other just created.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { usingPostgres } from '../helper.js'
import { migrate, MIGRATIONS_DIR } from '../../src/database/migrate.js'
import { postgresDatabase, serverTimeouts } from '../../src/database/postgres.js'
import { runAlone } from '../support/test-file.js'

const skip = usingPostgres ? false : 'needs DATABASE_URL (an embedded database has one owner process)'

/** A new, empty database and how to drop it (after every pool on it has ended: a forced drop kills idle clients). */
async function freshDatabase (): Promise<{ url: string, drop: () => Promise<void> }> {
  const adminUrl = new URL(process.env.DATABASE_URL ?? '')
  const name = `shop_migrate_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
  adminUrl.pathname = `/${name}`
  return { url: adminUrl.toString(), drop }
}

/**
 * The forced drop at the end may still meet a pooled connection that pool.end() is closing: its FATAL goes to the
 * pool's 'error' event, which would otherwise crash the test process after the assertions.
 */
function quietPool (url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('error', () => {})
  return pool
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function migrateLockTests (t: Test): Promise<void> {
  t.test('replicas migrating one fresh database at once: all succeed, each migration runs once', { skip }, async (t) => {
    const { url, drop } = await freshDatabase()
    const replicas = Array.from({ length: 4 }, () => quietPool(url, 2))
    t.teardown(async () => {
      await Promise.all(replicas.map(async (pool) => pool.end()))
      await drop()
    })
    const outcomes = await Promise.allSettled(replicas.map(async (pool) =>
      migrate(postgresDatabase(pool, { pooler: 'none', timeouts: serverTimeouts(10_000) }))))

    t.same(outcomes.filter((outcome) => outcome.status === 'rejected'), [], 'no replica failed its migration')
    const applied = outcomes.flatMap((outcome) => outcome.status === 'fulfilled' ? [outcome.value] : [])
    const all = applied.find((names) => names.length > 0) ?? []
    t.ok(all.length >= 4, `one replica applied every migration (${all.join(', ')})`)
    t.same(applied.filter((names) => names.length > 0).length, 1, 'the others found nothing left to do')
    const { rows } = await replicas[0]!.query<{ version: string }>('SELECT version::text FROM schema_migrations WHERE version > 0 ORDER BY version')
    t.same(rows.map((row) => Number(row.version)), all.map((_, index) => index + 1), 'each migration recorded once')
  })

  t.test('a failing migration leaves the database as it was (all of them run in one transaction)', { skip }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-migrations-'))
    t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
    for (const file of await readdir(MIGRATIONS_DIR)) await copyFile(join(MIGRATIONS_DIR, file), join(dir, file))
    await writeFile(join(dir, '900.do.broken.sql'), 'CREATE TABLE broken_marker (id int);\nSELECT * FROM no_such_table;\n')
    const { url, drop } = await freshDatabase()
    const pool = quietPool(url, 1)
    t.teardown(async () => {
      await pool.end()
      await drop()
    })

    await t.rejects(migrate(postgresDatabase(pool, { pooler: 'none', timeouts: serverTimeouts(10_000) }), `${dir}/`))
    const { rows } = await pool.query<{ name: string | null }>("SELECT to_regclass('products')::text AS name UNION ALL SELECT to_regclass('broken_marker')::text")
    t.same(rows, [{ name: null }, { name: null }], 'neither the earlier migrations nor the broken one left a table')
  })
}

await runAlone(import.meta.url, migrateLockTests)
