import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { redisKeyPrefix, testDatabaseUrl, testPgliteDir, usingPostgres, usingRedis } from './support/backends.js'

export { usingPostgres, usingRedis } from './support/backends.js'

/** A fixed secret so tokens made in one app verify in another app of the same test. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789'

export interface TestAppOptions {
  /** Extra environment variables, as an operator would set them. */
  env?: Record<string, string>
  /** Keep log lines in `logs` (JSON objects) instead of discarding them. */
  captureLogs?: boolean
  /** Reuse this PGlite data dir (to restart "the same" embedded database). */
  pgliteDir?: string
  /** Test-only routes added after the production plugins, before ready (e.g. one that throws). */
  routes?: (app: FastifyInstance) => void
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: Array<Record<string, unknown>>
  /** Raw log text, for "never contains" assertions. */
  logText: () => string
}

/** The environment a test app boots with: the real back ends of this run, test-friendly defaults, then overrides. */
export async function testEnv (t: Test, options: TestAppOptions = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: options.captureLogs === true ? 'info' : 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_MAX: '10000',
    AUTH_RATE_LIMIT_MAX: '10000',
    ORDER_RATE_LIMIT_MAX: '10000',
    // Parallel test processes on a 2-core machine stall the event loop for seconds, which under-pressure rightly
    // reads as overload (an interval without a sample counts as infinite delay). Shedding has its own tests.
    MAX_EVENT_LOOP_DELAY_MS: '0'
  }
  if (usingPostgres) {
    env.DATABASE_URL = await testDatabaseUrl(t)
    // CI runs the PostgreSQL tests a second time through PgBouncer in transaction mode (.ci/run).
    if (process.env.DATABASE_POOLER !== undefined && process.env.DATABASE_POOLER !== '') env.DATABASE_POOLER = process.env.DATABASE_POOLER
  } else env.PGLITE_DATA_DIR = options.pgliteDir ?? await testPgliteDir(t)
  if (usingRedis) {
    env.REDIS_URL = process.env.REDIS_URL ?? ''
    env.REDIS_KEY_PREFIX = redisKeyPrefix(t)
  }
  return { ...env, ...options.env }
}

/** Builds the app exactly as production does (same builder, same options) and closes it when the test ends. */
export async function buildTestApp (t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(await testEnv(t, options))
  const chunks: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, done) { chunks.push(chunk.toString()); done() }
  })
  const app = await buildApp(config, { logStream })
  t.teardown(async () => { await app.close() })
  options.routes?.(app)
  await app.ready()
  const logs: Array<Record<string, unknown>> = []
  return {
    app,
    config,
    get logs () {
      logs.length = 0
      for (const line of chunks.join('').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      return logs
    },
    logText: () => chunks.join('')
  }
}
