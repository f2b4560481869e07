/**
 * The environment a test app or test server boots with, apart from building the app: test/support/server-process.ts
 * needs only this, so a test that starts servers as processes does not import the whole app.
 */
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { redisKeyPrefix, testDatabaseUrl, testPgliteDir, usingPostgres, usingRedis } from './backends.js'

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
