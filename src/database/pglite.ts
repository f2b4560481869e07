import { mkdir } from 'node:fs/promises'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import type { Database, PoolStats, Queryable, QueryResult } from './types.js'

interface PgliteResult { rows: unknown[], affectedRows?: number }

function toResult<Row> (result: PgliteResult): QueryResult<Row> {
  // PGlite reports affectedRows 0 for a SELECT, where pg's rowCount counts the rows returned.
  return { rows: result.rows as Row[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) }
}

/**
 * Embedded PostgreSQL (WASM) for `npm start` with no services.
 * It has one connection, so statements are serialized; good for a laptop, not for load.
 */
export async function openPglite (dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create(dataDir)
  let pending = 0

  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    pending++
    try { return await work() } finally { pending-- }
  }

  return {
    kind: 'pglite',
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      track(async () => toResult<Row>(await db.query(sql, params as unknown[] | undefined))),
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
      track(async () => db.transaction(async (tx: Transaction) => fn({
        query: async <Row>(sql: string, params?: readonly unknown[]) =>
          toResult<Row>(await tx.query(sql, params as unknown[] | undefined))
      }))),
    async execScript (sql: string): Promise<void> {
      await db.exec(sql)
    },
    poolStats (): PoolStats {
      return { total: 1, established: 1, idle: pending === 0 ? 1 : 0, waiting: Math.max(0, pending - 1) }
    },
    async close (): Promise<void> {
      if (!db.closed) await db.close()
    }
  }
}
