import type { FastifyInstance } from 'fastify'
import type { Readiness } from '../../schemas/health.js'

/** docs/api.md: readiness fails when the database does not answer within 1 s. */
export const DATABASE_CHECK_TIMEOUT_MS = 1000

async function within<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no answer within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function checkDatabase (fastify: FastifyInstance): Promise<Readiness['checks']['database']> {
  const started = performance.now()
  try {
    await within(fastify.db.query('SELECT 1'), DATABASE_CHECK_TIMEOUT_MS)
    return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100, circuit: fastify.dbCircuit.status() }
  } catch (error) {
    fastify.log.warn({ err: error }, 'readiness: database check failed')
    // While the circuit is open this answers at once; once the cooldown is over, this check is the probe.
    return { status: 'down', circuit: fastify.dbCircuit.status() }
  }
}

export async function readiness (fastify: FastifyInstance): Promise<Readiness> {
  const [database, cacheUp] = await Promise.all([checkDatabase(fastify), fastify.cache.ping()])
  const checks: Readiness['checks'] = { database, cache: { status: cacheUp ? 'up' : 'down', kind: fastify.cache.kind } }
  const status = fastify.lifecycle.shuttingDown || database.status === 'down' ? 'fail' : cacheUp ? 'ok' : 'degraded'
  return { status, checks }
}
