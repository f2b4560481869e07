import { spawn } from 'node:child_process'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

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
