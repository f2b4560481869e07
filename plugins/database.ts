import fp from 'fastify-plugin'
import fastifyPostgres from '@fastify/postgres'
import type { FastifyInstance } from 'fastify'
import { postgresDatabase, postgresPoolConfig, serverTimeouts } from '../src/database/postgres.js'
import { migrate } from '../src/database/migrate.js'
import { seedNewEmbeddedDatabase } from '../src/products/demo-catalog.js'
import type { Database } from '../src/database/types.js'
import { tracingOn } from '../src/tracing.js'
import { guardDatabase, type DatabaseCircuit } from '../src/database/circuit.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** query / transaction on real PostgreSQL or embedded PGlite; repositories cannot tell which. */
    db: Database
    /** The circuit breaker in front of `db` (src/database/circuit.ts); readiness and metrics report it. */
    dbCircuit: DatabaseCircuit
  }
}

async function connect (fastify: FastifyInstance): Promise<Database> {
  const { database } = fastify.config
  if (database.url === undefined) {
    fastify.log.info({ dataDir: database.pgliteDataDir }, 'DATABASE_URL is not set: using embedded PostgreSQL (PGlite)')
    // Imported only here: with DATABASE_URL set, the WASM PostgreSQL is never loaded (boot time, memory).
    const { openPglite } = await import('../src/database/pglite.js')
    const db = await openPglite(database.pgliteDataDir)
    fastify.addHook('onClose', async () => { await db.close() })
    return db
  }
  await fastify.register(fastifyPostgres, postgresPoolConfig({
    connectionString: database.url,
    poolMax: database.poolMax,
    connectTimeoutMs: database.connectTimeoutMs,
    statementTimeoutMs: database.statementTimeoutMs,
    pooler: database.pooler
  }))
  // An idle connection dropped by the server emits 'error' on the pool; unhandled, it would kill the process.
  fastify.pg.pool.on('error', (error) => { fastify.log.warn({ err: error }, 'idle database connection lost') })
  return postgresDatabase(fastify.pg.pool, { pooler: database.pooler, timeouts: serverTimeouts(database.statementTimeoutMs) })
}

async function databasePlugin (fastify: FastifyInstance) {
  const connected = await connect(fastify)
  const traced = tracingOn() ? await (await import('../src/database/traced.js')).withTransactionSpans(connected) : connected
  const { db, circuit } = guardDatabase(traced, { ...fastify.config.databaseBreaker, poolMax: fastify.config.database.poolMax }, (status) => {
    fastify.log.warn({ circuit: status }, 'database circuit breaker changed state')
  })
  fastify.decorate('db', db)
  fastify.decorate('dbCircuit', circuit)
  if (fastify.config.database.migrateOnStart) {
    const applied = await migrate(db)
    if (applied.length > 0) fastify.log.info({ applied }, 'migrations applied')
    const seeded = await seedNewEmbeddedDatabase(db, applied)
    if (seeded !== undefined) fastify.log.info({ products: seeded }, 'new embedded database: demo catalog loaded')
  }
}

export default fp(databasePlugin, { name: 'database', dependencies: ['config'] })

/** @see https://github.com/fastify/fastify-postgres @see https://pglite.dev */
