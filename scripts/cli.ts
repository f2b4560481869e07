/**
 * What the one-shot commands (`npm run migrate`, `npm run seed`) share: read the config like the server,
 * open the database like the database plugin, print JSON lines like the service's logs, and exit 0 or 1.
 */
import pg from 'pg'
import { ConfigError, type Config } from '../src/config.js'
import { describeBackends, readConfiguration } from '../src/environment.js'
import { openPglite } from '../src/database/pglite.js'
import { postgresDatabase, postgresPoolConfig, serverTimeouts } from '../src/database/postgres.js'
import type { Database } from '../src/database/types.js'

export function report (line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`)
}

async function open (name: string, { database }: Config): Promise<{ db: Database, close: () => Promise<void> }> {
  if (database.url === undefined) {
    const db = await openPglite(database.pgliteDataDir)
    return { db, close: async () => { await db.close() } }
  }
  const pool = new pg.Pool({
    ...postgresPoolConfig({
      connectionString: database.url,
      poolMax: 1,
      connectTimeoutMs: database.connectTimeoutMs,
      statementTimeoutMs: database.statementTimeoutMs,
      pooler: database.pooler
    }),
    // A migration may rewrite a big table; the request-sized timeouts would abort it halfway.
    statement_timeout: undefined,
    query_timeout: undefined,
    application_name: `fastify-shop-api:${name}`
  })
  const timeouts = { ...serverTimeouts(database.statementTimeoutMs), statementTimeoutMs: undefined }
  return { db: postgresDatabase(pool, { pooler: database.pooler, timeouts }), close: async () => { await pool.end() } }
}

/** Runs `work` against the configured database and sets the exit code: 1 for bad config or any failure. */
export async function runCommand (name: string, work: (db: Database) => Promise<Record<string, unknown>>): Promise<void> {
  let connection: Awaited<ReturnType<typeof open>> | undefined
  try {
    const config = await readConfiguration()
    // First, which database this command is about to change: a wrong .env must be visible before anything runs.
    report({ level: 'info', msg: name, ...describeBackends(config) })
    connection = await open(name, config)
    report({ level: 'info', ...await work(connection.db) })
    process.exitCode = 0
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`)
    else report({ level: 'error', msg: `${name} failed`, err: error instanceof Error ? error.message : String(error) })
    process.exitCode = 1
  } finally {
    await connection?.close()
  }
}
