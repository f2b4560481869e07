import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { FormatRegistry, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DURATION_PATTERN, parseDurationMs } from './duration.js'
import type { DatabasePooler } from './database/postgres.js'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, type OrderCaps } from '../schemas/order.js'

// TypeBox's Value checker knows no formats by itself; config needs only this one.
if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')])
const Duration = Type.String({ pattern: DURATION_PATTERN })
const PositiveInteger = (defaultValue: number, maximum?: number) =>
  Type.Integer({ minimum: 1, default: defaultValue, ...(maximum === undefined ? {} : { maximum }) })

/** The environment as the configuration table of docs/api.md describes it; every value arrives as a string. */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
  // Unset: pretty at a terminal outside production, JSON everywhere else.
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: PositiveInteger(20, 1000),
  DATABASE_CONNECT_TIMEOUT_MS: PositiveInteger(2000),
  DATABASE_STATEMENT_TIMEOUT_MS: PositiveInteger(5000),
  PGLITE_DATA_DIR: Type.String({ minLength: 1, default: '.data/pglite' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[A-Za-z0-9:_.-]{1,64}$', default: 'shop:' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'fastify-shop-api' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'fastify-shop-api:clients' }),
  ACCESS_TOKEN_TTL: Type.String({ ...Duration, default: '15m' }),
  REFRESH_TOKEN_TTL: Type.String({ ...Duration, default: '7d' }),
  CORS_ORIGINS: Type.Optional(Type.String()),
  RATE_LIMIT_MAX: PositiveInteger(100),
  RATE_LIMIT_WINDOW: Type.String({ ...Duration, default: '1 minute' }),
  AUTH_RATE_LIMIT_MAX: PositiveInteger(10),
  ORDER_RATE_LIMIT_MAX: PositiveInteger(30),
  TRUST_PROXY: Type.Union([Bool, Type.String({ pattern: '^[0-9a-fA-F.:/, ]+$' })], { default: 'false' }),
  CACHE_TTL_SECONDS: PositiveInteger(60),
  ADMIN_EMAIL: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  MIGRATE_ON_START: Type.Union([Bool], { default: 'true' }),
  SHUTDOWN_TIMEOUT_MS: PositiveInteger(10_000),
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 0 }),
  REQUEST_TIMEOUT_MS: PositiveInteger(30_000),
  // 0 turns load shedding off (tests that must not see a busy machine's stalls as overload).
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, default: 1000 }),
  DOCS_ENABLED: Type.Union([Bool], { default: 'true' }),
  // Unset: /metrics is served on PORT. Set: only on this port, so the public Service never exposes it.
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  // OWASP API6: how much stock one order, and one customer's open orders, may reserve. The per-line and per-order
  // ceilings are what the database and the bigint totals were sized for, so a setting can only tighten them.
  ORDER_MAX_UNITS_PER_LINE: PositiveInteger(100, MAX_LINE_QUANTITY),
  ORDER_MAX_LINES: PositiveInteger(20, MAX_ORDER_LINES),
  ORDER_MAX_UNITS: PositiveInteger(200, MAX_LINE_QUANTITY * MAX_ORDER_LINES),
  CUSTOMER_MAX_OPEN_UNITS: PositiveInteger(500, 1_000_000_000),
  // Password hashes waiting for an argon2 slot; beyond this, sign-in, sign-up and password change answer 503.
  PASSWORD_HASH_QUEUE_MAX: Type.Integer({ minimum: 0, maximum: 10_000, default: 32 }),
  // Two tabs refreshing one token at once: the second, within this many seconds, gets the same successor instead
  // of revoking the family. 0 turns it off (every reuse revokes). At most 5 minutes: a thief gets the same window.
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  // Circuit breaker on the database (src/database/circuit.ts): consecutive connection failures or timeouts that open
  // it, and how long it then answers 503 at once before letting one request through to probe.
  DATABASE_BREAKER_THRESHOLD: PositiveInteger(5, 1000),
  DATABASE_BREAKER_COOLDOWN_MS: PositiveInteger(5000, 600_000),
  // What DATABASE_URL points at: PostgreSQL itself (or a session-mode pooler), or a transaction-mode pooler such as
  // PgBouncer, behind which no session state survives between transactions (docs/pooler.md).
  DATABASE_POOLER: Type.Union([Type.Literal('none'), Type.Literal('transaction')], { default: 'none' })
})
type Env = Static<typeof EnvSchema>

/**
 * The configuration the app reads. A value taken over from one variable as it is has that variable's type
 * (`Env['PORT']`), so the schema is its one source; the rest are converted (durations, booleans, lists) or
 * combine several variables. test/config.test.ts checks that every variable of EnvSchema reaches this object.
 */
export interface Config {
  env: Env['NODE_ENV']
  isProduction: boolean
  host: Env['HOST']
  port: Env['PORT']
  logLevel: Env['LOG_LEVEL']
  /** undefined: decided by whether stdout is a terminal (src/logger.ts). */
  logFormat: Env['LOG_FORMAT']
  database: {
    url: Env['DATABASE_URL']
    poolMax: Env['DATABASE_POOL_MAX']
    connectTimeoutMs: Env['DATABASE_CONNECT_TIMEOUT_MS']
    statementTimeoutMs: Env['DATABASE_STATEMENT_TIMEOUT_MS']
    /** 'transaction': timeouts per transaction (SET LOCAL), no named prepared statements (src/database/postgres.ts). */
    pooler: DatabasePooler
    pgliteDataDir: Env['PGLITE_DATA_DIR']
    migrateOnStart: boolean
  }
  redis: { url: Env['REDIS_URL'], keyPrefix: Env['REDIS_KEY_PREFIX'] }
  jwt: {
    secret: string
    /**
     * Where the secret came from: JWT_SECRET; the development secret kept on disk (src/environment.ts), so
     * restarts of `npm run dev` keep clients signed in; or random for this process only (tests, one-off runs).
     */
    secretSource: JwtSecretSource
    issuer: Env['JWT_ISSUER']
    audience: Env['JWT_AUDIENCE']
    accessTokenTtlSeconds: number
    refreshTokenTtlSeconds: number
    /** How long a just-rotated refresh token may be presented again for the same successor (src/auth/service.ts). */
    refreshReuseGraceSeconds: Env['REFRESH_REUSE_GRACE_SECONDS']
  }
  corsOrigins: string[]
  /** orderMax: orders one user may place per minute (OWASP API6, business-flow abuse such as stock hoarding). */
  rateLimit: { max: Env['RATE_LIMIT_MAX'], windowMs: number, authMax: Env['AUTH_RATE_LIMIT_MAX'], orderMax: Env['ORDER_RATE_LIMIT_MAX'] }
  /** true: trust every proxy hop; a string: only these addresses/CIDRs (comma-separated). */
  trustProxy: boolean | string
  cacheTtlSeconds: Env['CACHE_TTL_SECONDS']
  admin: { email: string, password: string } | undefined
  shutdownTimeoutMs: Env['SHUTDOWN_TIMEOUT_MS']
  /** Pause between readiness turning 503 and the listener closing (see server.ts). */
  shutdownDrainDelayMs: Env['SHUTDOWN_DRAIN_DELAY_MS']
  requestTimeoutMs: Env['REQUEST_TIMEOUT_MS']
  maxEventLoopDelayMs: Env['MAX_EVENT_LOOP_DELAY_MS']
  docsEnabled: boolean
  metricsPort: Env['METRICS_PORT']
  /** OWASP API6: stops one account from reserving a large share of the stock; admins placing orders included. */
  orderCaps: OrderCaps
  /** argon2 computations allowed to wait for a slot (src/auth/passwords.ts); more are shed with 503. */
  passwordHashQueueMax: Env['PASSWORD_HASH_QUEUE_MAX']
  /** src/database/circuit.ts: fail fast after `threshold` consecutive connection failures, probe after `cooldownMs`. */
  databaseBreaker: { threshold: Env['DATABASE_BREAKER_THRESHOLD'], cooldownMs: Env['DATABASE_BREAKER_COOLDOWN_MS'] }
}

export type JwtSecretSource = 'environment' | 'development-file' | 'generated'

export interface LoadConfigOptions {
  /** Used when JWT_SECRET is unset outside production (read from or written to disk by src/environment.ts). */
  developmentJwtSecret?: string
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

function pickKnown (environment: NodeJS.ProcessEnv): Record<string, string> {
  const known: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = environment[key]
    // An empty variable (`FOO=` in a .env file) means "not set", as in most twelve-factor tools.
    if (value !== undefined && value !== '') known[key] = value
  }
  return known
}

/**
 * Validates the environment into one typed, frozen config.
 * Collects every problem before failing so an operator fixes them all in one go.
 */
export function loadConfig (environment: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const raw = pickKnown(environment)
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw }))
  const problems = [...Value.Errors(EnvSchema, env)].map((error) => {
    const name = error.path.replace(/^\//, '')
    return `${name}: ${describe(error.schema, error.message)}${echoed(name, raw[name])}`
  })
  if (problems.length > 0) throw new ConfigError(dedupe(problems))
  const valid = env as Env

  const isProduction = valid.NODE_ENV === 'production'
  const crossChecks: string[] = []
  if (isProduction && valid.JWT_SECRET === undefined) crossChecks.push('JWT_SECRET: is required when NODE_ENV=production')
  if ((valid.ADMIN_EMAIL === undefined) !== (valid.ADMIN_PASSWORD === undefined)) {
    crossChecks.push('ADMIN_EMAIL/ADMIN_PASSWORD: set both or neither')
  }
  if (crossChecks.length > 0) throw new ConfigError(crossChecks)
  // A secret kept on disk is for a developer's machine only; production must name its own.
  const developmentSecret = isProduction ? undefined : options.developmentJwtSecret

  return deepFreeze({
    env: valid.NODE_ENV,
    isProduction,
    host: valid.HOST,
    port: valid.PORT,
    logLevel: valid.LOG_LEVEL,
    logFormat: valid.LOG_FORMAT,
    database: {
      url: valid.DATABASE_URL,
      poolMax: valid.DATABASE_POOL_MAX,
      connectTimeoutMs: valid.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: valid.DATABASE_STATEMENT_TIMEOUT_MS,
      pooler: valid.DATABASE_POOLER,
      pgliteDataDir: valid.PGLITE_DATA_DIR,
      migrateOnStart: valid.MIGRATE_ON_START === 'true'
    },
    redis: { url: valid.REDIS_URL, keyPrefix: valid.REDIS_KEY_PREFIX },
    jwt: {
      secret: valid.JWT_SECRET ?? developmentSecret ?? randomBytes(48).toString('base64url'),
      secretSource: valid.JWT_SECRET !== undefined ? 'environment' : developmentSecret !== undefined ? 'development-file' : 'generated',
      issuer: valid.JWT_ISSUER,
      audience: valid.JWT_AUDIENCE,
      accessTokenTtlSeconds: durationSeconds(valid.ACCESS_TOKEN_TTL),
      refreshTokenTtlSeconds: durationSeconds(valid.REFRESH_TOKEN_TTL),
      refreshReuseGraceSeconds: valid.REFRESH_REUSE_GRACE_SECONDS
    },
    corsOrigins: (valid.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''),
    rateLimit: {
      max: valid.RATE_LIMIT_MAX,
      windowMs: durationMs(valid.RATE_LIMIT_WINDOW),
      authMax: valid.AUTH_RATE_LIMIT_MAX,
      orderMax: valid.ORDER_RATE_LIMIT_MAX
    },
    trustProxy: valid.TRUST_PROXY === 'true' ? true : valid.TRUST_PROXY === 'false' ? false : valid.TRUST_PROXY,
    cacheTtlSeconds: valid.CACHE_TTL_SECONDS,
    admin: valid.ADMIN_EMAIL !== undefined && valid.ADMIN_PASSWORD !== undefined
      ? { email: valid.ADMIN_EMAIL.toLowerCase(), password: valid.ADMIN_PASSWORD }
      : undefined,
    shutdownTimeoutMs: valid.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: valid.SHUTDOWN_DRAIN_DELAY_MS,
    requestTimeoutMs: valid.REQUEST_TIMEOUT_MS,
    maxEventLoopDelayMs: valid.MAX_EVENT_LOOP_DELAY_MS,
    docsEnabled: valid.DOCS_ENABLED === 'true',
    metricsPort: valid.METRICS_PORT,
    orderCaps: {
      maxUnitsPerLine: valid.ORDER_MAX_UNITS_PER_LINE,
      maxLines: valid.ORDER_MAX_LINES,
      maxUnits: valid.ORDER_MAX_UNITS,
      maxOpenUnitsPerCustomer: valid.CUSTOMER_MAX_OPEN_UNITS
    },
    passwordHashQueueMax: valid.PASSWORD_HASH_QUEUE_MAX,
    databaseBreaker: { threshold: valid.DATABASE_BREAKER_THRESHOLD, cooldownMs: valid.DATABASE_BREAKER_COOLDOWN_MS }
  } satisfies Config)
}

/** Variables whose value is a secret: an error names them and the rule, never what was received. */
const SECRET_VARIABLES = new Set(['JWT_SECRET', 'ADMIN_PASSWORD'])
/** URLs may carry a password: an error shows them with the password masked. */
const URL_VARIABLES = new Set(['DATABASE_URL', 'REDIS_URL'])

function echoed (name: string, received: string | undefined): string {
  if (received === undefined || SECRET_VARIABLES.has(name)) return ''
  const shown = URL_VARIABLES.has(name) ? maskUrlPassword(received) : received
  return shown === undefined ? '' : ` (got "${shown}")`
}

/** The URL with its password replaced by `***`; undefined when the text is not a URL (it might be a secret). */
export function maskUrlPassword (text: string): string | undefined {
  if (!URL.canParse(text)) return undefined
  const url = new URL(text)
  if (url.password !== '') url.password = '***'
  return url.toString()
}

function durationMs (text: string): number {
  // The schema's pattern already accepted the text, so parsing cannot fail here.
  return parseDurationMs(text) ?? 0
}

function durationSeconds (text: string): number {
  return Math.max(1, Math.floor(durationMs(text) / 1000))
}

function describe (schema: TSchema, fallback: string): string {
  const options = (schema.anyOf as TSchema[] | undefined)?.flatMap((member) => {
    if (member.const !== undefined) return [String(member.const)]
    return member.pattern === undefined ? [] : [`a value matching ${String(member.pattern)}`]
  })
  return options !== undefined && options.length > 0 ? `must be one of ${options.join(', ')}` : fallback
}

function dedupe (items: string[]): string[] {
  // TypeBox reports a union failure once per member; one line per variable is enough.
  const byVariable = new Map<string, string>()
  for (const item of items) {
    const name = item.split(':')[0] ?? item
    if (!byVariable.has(name)) byVariable.set(name, item)
  }
  return [...byVariable.values()]
}
