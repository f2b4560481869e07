import pg from 'pg'
import { isConnectionFailure } from './errors.js'
import type { Database, PoolStats, Queryable, QueryOptions, QueryResult } from './types.js'

export interface PostgresOptions {
  connectionString: string
  poolMax: number
  connectTimeoutMs: number
  statementTimeoutMs: number
}

/** Pool settings for @fastify/postgres; without them pg-pool waits forever on a hung server. */
export function postgresPoolConfig (options: PostgresOptions): pg.PoolConfig {
  return {
    connectionString: options.connectionString,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // statement_timeout is enforced by the server; query_timeout also covers a server that stopped answering.
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1000,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'fastify-shop-api'
  }
}

function toResult<Row> (result: pg.QueryResult): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length }
}

function queryConfig (sql: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  const values = params as unknown[] | undefined
  return options?.name === undefined ? { text: sql, values } : { name: options.name, text: sql, values }
}

export function postgresDatabase (pool: pg.Pool): Database {
  const query = async <Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> =>
    toResult<Row>(await pool.query(queryConfig(sql, params, options)))

  return {
    kind: 'postgres',
    query,
    async transaction<T> (fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect()
      let broken: Error | undefined
      // A checked-out client has no pool listener: a connection lost between two statements (reset, server
      // restart, pg_terminate_backend) would emit 'error' with nobody listening and take the process down.
      let lost: Error | undefined
      const onLost = (error: Error): void => { lost ??= error }
      client.on('error', onLost)
      try {
        await client.query('BEGIN')
        const result = await fn({
          query: async <Row>(sql: string, params?: readonly unknown[], options?: QueryOptions) =>
            toResult<Row>(await client.query(queryConfig(sql, params, options)))
        })
        await client.query('COMMIT')
        return result
      } catch (error) {
        // A connection that failed or stopped answering cannot roll back: a ROLLBACK would only wait behind the hung
        // query for another query timeout. Destroying it ends the transaction on the server side too.
        if (lost !== undefined) {
          broken = lost
          // The statement after the loss fails with "not queryable"; the loss itself says why (503, not 500).
          throw lost
        }
        if (isConnectionFailure(error)) broken = error as Error
        else await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError })
        throw error
      } finally {
        client.off('error', onLost)
        // A connection whose rollback failed is in an unknown state: destroy it instead of pooling it.
        client.release(broken ?? lost)
      }
    },
    async execScript (sql: string): Promise<void> {
      await pool.query(sql)
    },
    poolStats (): PoolStats {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }
    },
    async close (): Promise<void> {
      // The pool belongs to @fastify/postgres, which ends it in its own onClose hook.
    }
  }
}
