import { fileURLToPath } from 'node:url'
import Postgrator from 'postgrator'
import type { Database } from './types.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

/**
 * One lock for every migrator of a database: replicas booting at once (MIGRATE_ON_START on several pods,
 * `docker compose up --scale`) would otherwise both read "version 0", both run 001 and one fail on a table or a
 * schema_migrations row the other just made. A transaction-scoped advisory lock works through a transaction-mode
 * pooler too, where a session lock would be held by whichever server connection happened to run it.
 */
const MIGRATION_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('fastify-shop-api:migrations'))"

type Execute = (sql: string) => Promise<{ rows: unknown[] }>

async function runPostgrator (migrationsDir: string, execQuery: Execute, execSqlScript: (sql: string) => Promise<void>): Promise<string[]> {
  const postgrator = new Postgrator({
    migrationPattern: `${migrationsDir}*.sql`,
    driver: 'pg',
    schemaTable: 'schema_migrations',
    execQuery,
    execSqlScript
  })
  const applied = await postgrator.migrate()
  return applied.map((migration) => migration.filename)
}

/**
 * Applies pending plain-SQL migrations from migrations/ with postgrator; returns the names applied.
 * On PostgreSQL all of them run in one transaction under the lock above, so a second migrator waits, then finds
 * nothing to do, and a failing migration leaves the schema as it was. An embedded database has one owner process.
 */
export async function migrate (db: Database, migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  if (db.kind === 'pglite') return runPostgrator(migrationsDir, async (sql) => db.query(sql), async (sql) => db.execScript(sql))
  return db.transaction(async (tx) => {
    await tx.query(MIGRATION_LOCK_SQL)
    // Without parameters pg sends the simple query protocol, which runs a multi-statement script as it stands.
    return runPostgrator(migrationsDir, async (sql) => tx.query(sql), async (sql) => { await tx.query(sql) })
  })
}
