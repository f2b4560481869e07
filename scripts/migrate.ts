/**
 * Applies pending migrations and exits: 0 when the schema is current, 1 otherwise.
 * Kubernetes runs it as a Job before a rollout (deploy/k8s/migrate-job.yaml), so replicas boot with
 * MIGRATE_ON_START=false and never race each other over the schema.
 */
import { basename } from 'node:path'
import pg from 'pg'
import { ConfigError, loadConfig, type Config } from '../src/config.js'
import { migrate } from '../src/database/migrate.js'
import { openPglite } from '../src/database/pglite.js'
import { postgresDatabase, postgresPoolConfig } from '../src/database/postgres.js'
import type { Database } from '../src/database/types.js'

async function open (config: Config): Promise<{ db: Database, close: () => Promise<void> }> {
  const { database } = config
  if (database.url === undefined) {
    const db = await openPglite(database.pgliteDataDir)
    return { db, close: async () => { await db.close() } }
  }
  const pool = new pg.Pool({
    ...postgresPoolConfig({
      connectionString: database.url,
      poolMax: 1,
      connectTimeoutMs: database.connectTimeoutMs,
      statementTimeoutMs: database.statementTimeoutMs
    }),
    // A migration may rewrite a big table; the request-sized timeouts would abort it halfway.
    statement_timeout: undefined,
    query_timeout: undefined,
    application_name: 'fastify-shop-api:migrate'
  })
  return { db: postgresDatabase(pool), close: async () => { await pool.end() } }
}

function report (line: Record<string, unknown>): void {
  // One JSON line, like the service's logs, so the Job's output lands in the same log pipeline.
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`)
}

async function main (): Promise<number> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) { process.stderr.write(`${error.message}\n`); return 1 }
    throw error
  }
  const { db, close } = await open(config)
  try {
    const applied = await migrate(db)
    report({ level: 'info', msg: applied.length > 0 ? 'migrations applied' : 'schema already current', applied: applied.map((file) => basename(file)) })
    return 0
  } catch (error) {
    report({ level: 'error', msg: 'migration failed', err: error instanceof Error ? error.message : String(error) })
    return 1
  } finally {
    await close()
  }
}

process.exitCode = await main().catch((error: unknown) => {
  report({ level: 'error', msg: 'migration failed', err: error instanceof Error ? error.message : String(error) })
  return 1
})
