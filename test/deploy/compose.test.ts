import { readFile } from 'node:fs/promises'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'

interface ComposeService {
  image?: string
  build?: { context: string, dockerfile: string }
  environment?: Record<string, string>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  stop_grace_period?: string
}
interface Compose { services: Record<string, ComposeService> }

const ROOT = new URL('../../', import.meta.url)
const compose = parse(await readFile(new URL('docker-compose.yml', ROOT), 'utf8')) as Compose
const service = (name: string): ComposeService => {
  const found = compose.services[name]
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`)
  return found
}

/** Compose-style interpolation with the defaults written in the file and the given variables. */
function interpolate (text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind: string | undefined, fallback: string | undefined) => {
    const value = variables[name]
    if (value !== undefined && value !== '') return value
    if (kind === '-') return fallback ?? ''
    throw new Error(`${name} is required: ${fallback ?? ''}`)
  })
}

t.test('the stack is PostgreSQL 16, Redis 7 and the API built from the Dockerfile', async (t) => {
  t.equal(service('postgres').image, 'postgres:16')
  t.equal(service('redis').image, 'redis:7')
  t.same(service('api').build, { context: '.', dockerfile: 'Dockerfile' })
  await t.resolves(readFile(new URL(service('api').build?.dockerfile ?? 'missing', ROOT)), 'the Dockerfile exists')
})

t.test('the API is published on the port it listens on', async (t) => {
  const api = service('api')
  t.same(api.ports, ['3000:3000'])
  const env = api.environment ?? {}
  t.equal(String(loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32) }).port), api.ports?.[0]?.split(':')[1])
})

t.test('the API waits for healthy PostgreSQL and Redis', async (t) => {
  t.same(service('api').depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } })
})

t.test('every service has a healthcheck, the API probes readiness', async (t) => {
  for (const name of Object.keys(compose.services)) t.ok(service(name).healthcheck?.test, `${name} has a healthcheck`)
  t.match(service('postgres').healthcheck?.test.join(' '), /pg_isready/)
  t.match(service('redis').healthcheck?.test.join(' '), /redis-cli.*ping/)
  t.match(service('api').healthcheck?.test.join(' '), /http:\/\/127\.0\.0\.1:3000\/health\/ready/)
})

t.test('the API reaches the other services by their compose names', async (t) => {
  const env = service('api').environment ?? {}
  t.equal(new URL(interpolate(env.DATABASE_URL ?? '', {})).hostname, 'postgres')
  t.equal(new URL(interpolate(env.REDIS_URL ?? '', {})).hostname, 'redis')
})

t.test('JWT_SECRET has no default: compose refuses to start without one', async (t) => {
  const env = service('api').environment ?? {}
  t.match(env.JWT_SECRET, /^\$\{JWT_SECRET:\?.+\}$/)
  t.throws(() => interpolate(env.JWT_SECRET ?? '', {}), /JWT_SECRET is required/)
})

t.test('the environment boots a production config', async (t) => {
  const raw = service('api').environment ?? {}
  const env = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, interpolate(value, { JWT_SECRET: 'a'.repeat(48) })]))
  const config = loadConfig(env)
  t.equal(config.isProduction, true)
  t.equal(config.jwt.secretSource, 'environment')
  t.ok(config.database.url !== undefined && config.redis.url !== undefined, 'real PostgreSQL and Redis, no embedded fallbacks')
})

t.test('docker waits longer than the graceful shutdown before killing the API', async (t) => {
  const env = service('api').environment ?? {}
  const config = loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://h/db' })
  const grace = /^(\d+)s$/.exec(service('api').stop_grace_period ?? '')
  t.ok(grace !== null, 'stop_grace_period is in seconds')
  t.ok(Number(grace?.[1]) * 1000 > config.shutdownTimeoutMs + config.shutdownDrainDelayMs)
})
