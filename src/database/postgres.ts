import pg from 'pg'
import { isConnectionFailure } from './errors.js'
import type { Database, PoolStats, Queryable, QueryOptions, QueryResult } from './types.js'

/**
 * What sits between the service and PostgreSQL (DATABASE_POOLER, docs/pooler.md):
 * - `none`: a direct connection (or a session-mode pooler); each pooled connection is one server session.
 * - `transaction`: a transaction-mode pooler such as PgBouncer `pool_mode = transaction`. Consecutive
 *   transactions of one client connection may run on different server connections, so nothing may rely on
 *   session state: no timeouts as startup parameters (PgBouncer refuses them), no named prepared statements
 *   (prepared on one server connection, missing or clashing on the next), no session SET, advisory lock or LISTEN.
 */
export type DatabasePooler = 'none' | 'transaction'

/** Server-side bounds on every statement and on a transaction left idle; undefined statement timeout: none. */
export interface ServerTimeouts {
  statementTimeoutMs: number | undefined
  idleInTransactionTimeoutMs: number
}

export interface PostgresOptions {
  connectionString: string
  poolMax: number
  connectTimeoutMs: number
  statementTimeoutMs: number
  pooler: DatabasePooler
}

export interface PostgresDatabaseOptions {
  pooler: DatabasePooler
  timeouts: ServerTimeouts
}

/** The service's timeouts: a transaction may sit idle (between its statements) twice as long as one statement runs. */
export function serverTimeouts (statementTimeoutMs: number): ServerTimeouts {
  return { statementTimeoutMs, idleInTransactionTimeoutMs: statementTimeoutMs * 2 }
}

/** Pool settings for @fastify/postgres; without them pg-pool waits forever on a hung server. */
export function postgresPoolConfig (options: PostgresOptions): pg.PoolConfig {
  const timeouts = serverTimeouts(options.statementTimeoutMs)
  return {
    connectionString: options.connectionString,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Direct: statement_timeout is enforced by the server for the whole session, set once as a startup parameter.
    // Behind a transaction-mode pooler the same bounds are set per transaction instead (postgresDatabase).
    ...(options.pooler === 'none'
      ? {
          statement_timeout: timeouts.statementTimeoutMs,
          idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs
        }
      : {}),
    // query_timeout also covers a server (or pooler) that stopped answering.
    query_timeout: options.statementTimeoutMs + 1000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'fastify-shop-api'
  }
}

/**
 * What opens a transaction. Behind a transaction-mode pooler, SET LOCAL puts the timeouts on the server connection
 * this transaction runs on, and they end with it; sent with BEGIN as one simple query, so it costs no round trip.
 * The values are validated integers from the configuration, never request input.
 */
function beginStatement ({ pooler, timeouts }: PostgresDatabaseOptions): string {
  if (pooler === 'none') return 'BEGIN'
  const settings = [`SET LOCAL idle_in_transaction_session_timeout = ${timeouts.idleInTransactionTimeoutMs}`]
  if (timeouts.statementTimeoutMs !== undefined) settings.unshift(`SET LOCAL statement_timeout = ${timeouts.statementTimeoutMs}`)
  return ['BEGIN', ...settings].join('; ')
}

function toResult<Row> (answer: pg.QueryResult): QueryResult<Row> {
  // A script of several statements (a migration run inside a transaction) answers one result per statement,
  // though pg types it as one; the script's result is its last statement's.
  const results = answer as pg.QueryResult | pg.QueryResult[]
  const result = Array.isArray(results) ? results[results.length - 1] : results
  if (result === undefined) return { rows: [], rowCount: 0 }
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length }
}

function queryConfig (sql: string, params: readonly unknown[] | undefined, name: string | undefined): pg.QueryConfig {
  const values = params as unknown[] | undefined
  return name === undefined ? { text: sql, values } : { name, text: sql, values }
}

export function postgresDatabase (pool: pg.Pool, options: PostgresDatabaseOptions): Database {
  const begin = beginStatement(options)
  // pg-pool counts a connect attempt in totalCount from its start; 'connect' fires only once the server accepted it,
  // and 'remove' only for such a connection. The circuit needs the difference (src/database/circuit.ts).
  let established = 0
  pool.on('connect', () => { established++ })
  pool.on('remove', () => { established-- })
  const behindPooler = options.pooler !== 'none'
  // Named statements only where the server connection is ours for the whole session.
  const statementName = (queryOptions: QueryOptions | undefined) => behindPooler ? undefined : queryOptions?.name

  async function inTransaction<T> (fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    let broken: Error | undefined
    // The server may end the session between two statements (idle_in_transaction_session_timeout, a reset, a
    // restart): pg emits that as 'error' on the client, which pg-pool listens to only while the client is idle;
    // unheard, it would crash the process. Heard here, the transaction fails and the connection is destroyed below.
    let lost: Error | undefined
    const onLost = (error: Error): void => { lost ??= error }
    client.on('error', onLost)
    try {
      await client.query(begin)
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      // The statement after the loss fails with "not queryable"; the loss itself says why (503, not 500).
      if (lost !== undefined) throw lost
      // A connection that failed or stopped answering cannot roll back: a ROLLBACK would only wait behind the hung
      // query for another query timeout. Destroying it ends the transaction on the server side too.
      if (isConnectionFailure(error)) broken = error as Error
      else await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError })
      throw error
    } finally {
      client.off('error', onLost)
      // A connection that was lost, failed, or whose rollback failed is in an unknown state: destroy it.
      client.release(broken ?? lost)
    }
  }

  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => inTransaction(async (client) => fn({
    query: async <Row>(sql: string, params?: readonly unknown[], queryOptions?: QueryOptions) =>
      toResult<Row>(await client.query(queryConfig(sql, params, statementName(queryOptions))))
  }))

  // Behind a transaction-mode pooler a lone statement has no session timeout to inherit: it runs in a transaction
  // of its own so SET LOCAL can bound it (two more round trips; bench/README.md measures what that costs).
  const query = behindPooler
    ? async <Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> =>
      transaction(async (tx) => tx.query<Row>(sql, params))
    : async <Row>(sql: string, params?: readonly unknown[], queryOptions?: QueryOptions): Promise<QueryResult<Row>> =>
      toResult<Row>(await pool.query(queryConfig(sql, params, queryOptions?.name)))

  return {
    kind: 'postgres',
    query,
    transaction,
    async execScript (sql: string): Promise<void> {
      if (behindPooler) await inTransaction(async (client) => client.query(sql))
      else await pool.query(sql)
    },
    poolStats (): PoolStats {
      return { total: pool.totalCount, established, idle: pool.idleCount, waiting: pool.waitingCount }
    },
    async close (): Promise<void> {
      // The pool belongs to @fastify/postgres, which ends it in its own onClose hook.
    }
  }
}
