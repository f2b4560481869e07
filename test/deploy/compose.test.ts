import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'
import { runAlone } from '../support/test-file.js'

interface ComposeService {
  profiles?: string[]
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
const composeText = await readFile(new URL('docker-compose.yml', ROOT), 'utf8')
const compose = parse(composeText) as Compose
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

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function composeTests (t: Test): Promise<void> {
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

  const names = (profile: string | undefined) => Object.keys(compose.services)
    .filter((name) => profile === undefined ? service(name).profiles === undefined : service(name).profiles?.includes(profile) === true)

  t.test('the production services publish nothing but the API', async (t) => {
    t.same(names(undefined).sort(), ['api', 'postgres', 'redis'], 'no profile: started by a plain `docker compose up`')
    for (const name of names(undefined)) t.same(service(name).ports, name === 'api' ? ['3000:3000'] : undefined, `${name} ports`)
  })

  t.test('the dev profile publishes PostgreSQL and Redis on the loopback interface only', async (t) => {
    t.same(names('dev').sort(), ['postgres-dev', 'redis-dev'])
    const expected = { 'postgres-dev': { image: 'postgres', container: '5432' }, 'redis-dev': { image: 'redis', container: '6379' } }
    for (const [name, { image, container }] of Object.entries(expected)) {
      const dev = service(name)
      t.same(dev.profiles, ['dev'], `${name} runs only with --profile dev`)
      t.equal(dev.image, service(image).image, `${name} runs the production stack's ${image} image`)
      t.equal(dev.ports?.length, 1, `${name} publishes one port`)
      const [address, hostPort, containerPort] = (dev.ports?.[0] ?? '').split(':')
      t.equal(address, '127.0.0.1', `${name} is bound to 127.0.0.1`)
      t.equal(containerPort, container, `${name} publishes its server's port`)
      t.not(hostPort, container, `${name} leaves ${container} to a locally installed server`)
    }
  })

  t.test('the header\'s dev command starts the dev services and its URLs reach them', async (t) => {
    const header = composeText.split('\n').filter((line) => line.startsWith('#')).join('\n')
    const command = /docker compose --profile dev up -d ([\w -]+)$/m.exec(header)
    t.ok(command !== null, 'the header shows `docker compose --profile dev up -d …`')
    t.same(command?.[1]?.trim().split(/\s+/).sort(), names('dev').sort(), 'it names exactly the dev services')
    const urls = /DATABASE_URL=(\S+) REDIS_URL=(\S+) npm run dev/.exec(header)
    const database = new URL(urls?.[1] ?? 'invalid:')
    const redis = new URL(urls?.[2] ?? 'invalid:')
    const postgresDev = service('postgres-dev')
    t.equal(`${database.hostname}:${database.port}`, postgresDev.ports?.[0]?.split(':').slice(0, 2).join(':'), 'DATABASE_URL reaches postgres-dev')
    t.equal(`${redis.hostname}:${redis.port}`, service('redis-dev').ports?.[0]?.split(':').slice(0, 2).join(':'), 'REDIS_URL reaches redis-dev')
    const env = postgresDev.environment ?? {}
    t.same([database.username, database.password, database.pathname.slice(1)], [env.POSTGRES_USER, env.POSTGRES_PASSWORD, env.POSTGRES_DB],
      'DATABASE_URL carries postgres-dev\'s user, password and database')
    const config = loadConfig({ DATABASE_URL: database.href, REDIS_URL: redis.href })
    t.ok(config.database.url !== undefined && config.redis.url !== undefined, 'the app accepts both URLs')
  })
}

await runAlone(import.meta.url, composeTests)
