import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'

/**
 * Where the service's data lives for one bench run: a throwaway database bench_<pid> on the PostgreSQL
 * named by DATABASE_URL (dropped at the end), or a throwaway PGlite data dir; Redis keys under bench_<pid>:.
 */
export interface Backend {
  kind: 'postgres' | 'pglite'
  description: string
  /** Environment for the service (DATABASE_URL or PGLITE_DATA_DIR, REDIS_URL + key prefix). */
  serviceEnv: Record<string, string>
  databaseUrl: string | undefined
  redisUrl: string | undefined
  /**
   * The database the Express baseline opens. PostgreSQL: the same one. PGlite is single-process,
   * so Express gets a copy of the service's data dir taken after seeding while the service was stopped.
   */
  databaseForExpress(copyName?: string): Promise<{ databaseUrl: string } | { pgliteDir: string }>
  /** Back to an empty database, after a boot that failed half-way. */
  reset(): Promise<void>
  cleanup(): Promise<void>
}

export async function prepareBackend (): Promise<Backend> {
  // Database names cannot be bound as parameters; this one is built from our own pid only, never from input.
  const runName = `bench_${process.pid}`
  const redisUrl = nonEmpty(process.env.REDIS_URL)
  const redisEnv: Record<string, string> = redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${runName}:` }
  const cleanRedis = async () => { if (redisUrl !== undefined) await deleteRedisKeys(redisUrl, `${runName}:`) }
  const serverUrl = nonEmpty(process.env.DATABASE_URL)
  const cacheLabel = redisUrl === undefined ? 'in-memory cache and rate-limit store' : `Redis (${redact(redisUrl)}, prefix ${runName}:)`

  if (serverUrl !== undefined) {
    await adminQuery(serverUrl, `CREATE DATABASE ${runName}`)
    const url = new URL(serverUrl)
    url.pathname = `/${runName}`
    const databaseUrl = url.toString()
    return {
      kind: 'postgres',
      description: `PostgreSQL (${redact(serverUrl)}, throwaway database ${runName}) + ${cacheLabel}`,
      serviceEnv: { DATABASE_URL: databaseUrl, ...redisEnv },
      databaseUrl,
      redisUrl,
      databaseForExpress: async () => ({ databaseUrl }),
      reset: async () => {
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${runName} WITH (FORCE)`)
        await adminQuery(serverUrl, `CREATE DATABASE ${runName}`)
      },
      cleanup: async () => {
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${runName} WITH (FORCE)`)
        await cleanRedis()
      }
    }
  }

  const root = await mkdtemp(join(tmpdir(), `${runName}-`))
  const serviceDir = join(root, 'service')
  return {
    kind: 'pglite',
    description: `embedded PGlite (throwaway data dir) + ${cacheLabel}`,
    serviceEnv: { PGLITE_DATA_DIR: serviceDir, ...redisEnv },
    databaseUrl: undefined,
    redisUrl,
    // Also the traced service's (--tracing): PGlite is single-process, each server needs its own copy.
    databaseForExpress: async (copyName = 'express') => {
      const copy = join(root, copyName)
      await cp(serviceDir, copy, { recursive: true })
      return { pgliteDir: copy }
    },
    reset: async () => { await rm(serviceDir, { recursive: true, force: true }) },
    cleanup: async () => {
      await rm(root, { recursive: true, force: true })
      await cleanRedis()
    }
  }
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** Connection strings may carry a password: never print it. */
export function redact (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

async function adminQuery (url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function deleteRedisKeys (url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
