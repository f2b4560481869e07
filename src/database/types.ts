/** What repositories see: the same on real PostgreSQL and on embedded PGlite. */
export interface QueryResult<Row> {
  rows: Row[]
  rowCount: number
}

export interface QueryOptions {
  /**
   * Makes it a named prepared statement on PostgreSQL: parsed and planned once per connection instead of on every
   * call. Only for constant SQL text on hot paths (the order transaction); PGlite ignores it.
   */
  name?: string
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>>
}

export interface PoolStats {
  /** Connections open or being opened. */
  total: number
  /** Connections the server accepted and that are still in the pool (a connect attempt still running is not one). */
  established: number
  idle: number
  waiting: number
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Runs a multi-statement SQL script (migrations). */
  execScript(sql: string): Promise<void>
  poolStats(): PoolStats
  close(): Promise<void>
}
