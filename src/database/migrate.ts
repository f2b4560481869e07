import { fileURLToPath } from 'node:url'
import Postgrator from 'postgrator'
import type { Database } from './types.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

/** Applies pending plain-SQL migrations from migrations/ with postgrator; returns the names applied. */
export async function migrate (db: Database, migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  const postgrator = new Postgrator({
    migrationPattern: `${migrationsDir}*.sql`,
    driver: 'pg',
    schemaTable: 'schema_migrations',
    execQuery: async (sql) => db.query(sql),
    execSqlScript: async (sql) => db.execScript(sql)
  })
  const applied = await postgrator.migrate()
  return applied.map((migration) => migration.filename)
}
