import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'

/** The little the Express baseline needs from a database: the same calls on pg and on PGlite. */
export interface BaselineDatabase {
  query<Row>(sql: string, params: unknown[]): Promise<Row[]>
  close(): Promise<void>
}

/** DATABASE_URL → a pg pool sized like the service's (DATABASE_POOL_MAX); else PGLITE_DATA_DIR → PGlite. */
export async function openBaselineDatabase (env: NodeJS.ProcessEnv): Promise<BaselineDatabase> {
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '') {
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: Number(env.DATABASE_POOL_MAX ?? 20) })
    return {
      query: async <Row>(sql: string, params: unknown[]) => (await pool.query(sql, params)).rows as Row[],
      close: async () => { await pool.end() }
    }
  }
  const dataDir = env.PGLITE_DATA_DIR
  if (dataDir === undefined) throw new Error('set DATABASE_URL or PGLITE_DATA_DIR')
  const db = await PGlite.create(dataDir)
  return {
    query: async <Row>(sql: string, params: unknown[]) => (await db.query<Row>(sql, params)).rows,
    close: async () => { await db.close() }
  }
}
