import { spawn } from 'node:child_process'
import type { Test } from 'tap'
import { ConfigError, EnvSchema, loadConfig } from '../src/config.js'
import { runAlone } from './support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function configTests (t: Test): Promise<void> {
  t.test('defaults follow docs/api.md when nothing is set', async (t) => {
    const config = loadConfig({})
    t.equal(config.port, 3000)
    t.equal(config.host, '0.0.0.0')
    t.equal(config.env, 'development')
    t.equal(config.database.url, undefined)
    t.equal(config.database.pgliteDataDir, '.data/pglite')
    t.equal(config.database.poolMax, 20)
    t.same(config.rateLimit, { max: 100, windowMs: 60_000, authMax: 10, orderMax: 30 })
    t.equal(config.jwt.accessTokenTtlSeconds, 15 * 60)
    t.equal(config.jwt.refreshTokenTtlSeconds, 7 * 24 * 3600)
    t.equal(config.jwt.secretSource, 'generated')
    t.ok(config.jwt.secret.length >= 32)
    t.equal(config.trustProxy, false)
    t.equal(config.cacheTtlSeconds, 60)
    t.equal(config.database.migrateOnStart, true)
    t.equal(config.shutdownTimeoutMs, 10_000)
    t.same(config.corsOrigins, [])
  })

  t.test('values are converted and the result is frozen', async (t) => {
    const config = loadConfig({ PORT: '8080', CORS_ORIGINS: 'https://a.example, https://b.example', TRUST_PROXY: 'true', MIGRATE_ON_START: 'false', ACCESS_TOKEN_TTL: '30s', RATE_LIMIT_WINDOW: '10 seconds' })
    t.equal(config.port, 8080)
    t.same(config.corsOrigins, ['https://a.example', 'https://b.example'])
    t.equal(config.trustProxy, true)
    t.equal(config.database.migrateOnStart, false)
    t.equal(config.jwt.accessTokenTtlSeconds, 30)
    t.equal(config.rateLimit.windowMs, 10_000)
    t.equal(loadConfig({ MAX_EVENT_LOOP_DELAY_MS: '0' }).maxEventLoopDelayMs, 0, '0 turns load shedding off')
    t.ok(Object.isFrozen(config))
    t.ok(Object.isFrozen(config.database))
    t.throws(() => { (config as { port: number }).port = 1 })
  })

  t.test('order caps (OWASP API6): defaults, and a setting may only tighten the hard ceilings', async (t) => {
    t.same(loadConfig({}).orderCaps, { maxUnitsPerLine: 100, maxLines: 20, maxUnits: 200, maxOpenUnitsPerCustomer: 500 })
    t.same(loadConfig({ ORDER_MAX_UNITS_PER_LINE: '1000', ORDER_MAX_LINES: '50', ORDER_MAX_UNITS: '50000', CUSTOMER_MAX_OPEN_UNITS: '7' }).orderCaps,
      { maxUnitsPerLine: 1000, maxLines: 50, maxUnits: 50_000, maxOpenUnitsPerCustomer: 7 })
    const error = t.throws(() => loadConfig({ ORDER_MAX_UNITS_PER_LINE: '1001', ORDER_MAX_LINES: '51', ORDER_MAX_UNITS: '0', CUSTOMER_MAX_OPEN_UNITS: 'many' })) as ConfigError
    for (const name of ['ORDER_MAX_UNITS_PER_LINE', 'ORDER_MAX_LINES', 'ORDER_MAX_UNITS', 'CUSTOMER_MAX_OPEN_UNITS']) {
      t.match(error.message, new RegExp(`^  - ${name}: `, 'm'), `names ${name}`)
    }
  })

  t.test('several bad variables give one error naming each of them', async (t) => {
    const error = t.throws(() => loadConfig({ PORT: 'abc', NODE_ENV: 'prod', DATABASE_URL: 'mysql://x', RATE_LIMIT_WINDOW: 'soon', JWT_SECRET: 'short' })) as ConfigError
    t.ok(error instanceof ConfigError)
    for (const name of ['PORT', 'NODE_ENV', 'DATABASE_URL', 'RATE_LIMIT_WINDOW', 'JWT_SECRET']) {
      t.match(error.message, new RegExp(`^  - ${name}: `, 'm'), `names ${name}`)
    }
    t.equal(error.problems.length, 5)
  })

  t.test('production requires JWT_SECRET; admin needs both email and password', async (t) => {
    t.throws(() => loadConfig({ NODE_ENV: 'production' }), /JWT_SECRET: is required when NODE_ENV=production/)
    t.throws(() => loadConfig({ ADMIN_EMAIL: 'root@example.com' }), /ADMIN_EMAIL\/ADMIN_PASSWORD: set both or neither/)
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ADMIN_EMAIL: 'Root@Example.com', ADMIN_PASSWORD: 'long-enough-pw' })
    t.equal(config.isProduction, true)
    t.equal(config.jwt.secretSource, 'environment')
    t.same(config.admin, { email: 'root@example.com', password: 'long-enough-pw' })
  })

  t.test('the server refuses to boot on bad config: exit code 1 and one message naming each variable', async (t) => {
    const child = spawn(process.execPath, ['dist/src/server.js'], {
      env: { PATH: process.env.PATH, PORT: '99999', LOG_LEVEL: 'loud', CACHE_TTL_SECONDS: '0' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    t.equal(code, 1)
    t.match(stderr, /Invalid configuration/)
    for (const name of ['PORT', 'LOG_LEVEL', 'CACHE_TTL_SECONDS']) t.match(stderr, new RegExp(`- ${name}: `), `names ${name}`)
    t.equal(stderr.match(/Invalid configuration/g)?.length, 1, 'one message')
  })

  /**
   * A value for every variable, valid and unlike its default. A variable added to EnvSchema without an entry here
   * fails the first assertion; one that never reaches the configuration fails the second.
   */
  const SAMPLES: Record<string, string> = {
    PORT: '3001',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: 'postgres://user@db.example/shop',
    DATABASE_POOL_MAX: '7',
    DATABASE_CONNECT_TIMEOUT_MS: '2001',
    DATABASE_STATEMENT_TIMEOUT_MS: '5001',
    PGLITE_DATA_DIR: '.data/elsewhere',
    REDIS_URL: 'redis://cache.example:6379',
    REDIS_KEY_PREFIX: 'other:',
    JWT_SECRET: 'another-secret-of-at-least-32-characters-long',
    JWT_ISSUER: 'someone-else',
    JWT_AUDIENCE: 'someone-else:clients',
    ACCESS_TOKEN_TTL: '16m',
    REFRESH_TOKEN_TTL: '8d',
    CORS_ORIGINS: 'https://a.example',
    RATE_LIMIT_MAX: '101',
    RATE_LIMIT_WINDOW: '2 minutes',
    AUTH_RATE_LIMIT_MAX: '11',
    ORDER_RATE_LIMIT_MAX: '31',
    TRUST_PROXY: '10.0.0.0/8',
    CACHE_TTL_SECONDS: '61',
    ADMIN_EMAIL: 'admin@example.test',
    ADMIN_PASSWORD: 'an-admin-password',
    MIGRATE_ON_START: 'false',
    SHUTDOWN_TIMEOUT_MS: '10001',
    SHUTDOWN_DRAIN_DELAY_MS: '1',
    REQUEST_TIMEOUT_MS: '30001',
    MAX_EVENT_LOOP_DELAY_MS: '1001',
    DOCS_ENABLED: 'false',
    METRICS_PORT: '9100',
    ORDER_MAX_UNITS_PER_LINE: '99',
    ORDER_MAX_LINES: '19',
    ORDER_MAX_UNITS: '199',
    CUSTOMER_MAX_OPEN_UNITS: '499',
    PASSWORD_HASH_QUEUE_MAX: '33',
    REFRESH_REUSE_GRACE_SECONDS: '11',
    DATABASE_BREAKER_THRESHOLD: '6',
    DATABASE_BREAKER_COOLDOWN_MS: '5001',
    DATABASE_POOLER: 'transaction'
  }

  t.test('every variable of EnvSchema reaches the configuration', async (t) => {
    t.same(Object.keys(SAMPLES).sort(), Object.keys(EnvSchema.properties).sort(), 'a sample for each variable, no more')
    // A fixed secret, so the only difference between two loads is the variable under test.
    const base = { JWT_SECRET: 'a-fixed-secret-of-at-least-32-characters' }
    const reference = JSON.stringify(loadConfig(base))
    // The admin's two variables only count together (set both or neither).
    const together: Record<string, Record<string, string>> = {
      ADMIN_EMAIL: { ADMIN_PASSWORD: SAMPLES.ADMIN_PASSWORD ?? '' },
      ADMIN_PASSWORD: { ADMIN_EMAIL: SAMPLES.ADMIN_EMAIL ?? '' }
    }
    for (const [name, value] of Object.entries(SAMPLES)) {
      if (name === 'JWT_SECRET') continue
      const changed = JSON.stringify(loadConfig({ ...base, ...together[name], [name]: value }))
      t.not(changed, reference, `${name} changes the configuration`)
    }
    t.not(JSON.stringify(loadConfig({ JWT_SECRET: SAMPLES.JWT_SECRET })), reference, 'JWT_SECRET changes the configuration')
  })
}

await runAlone(import.meta.url, configTests)
