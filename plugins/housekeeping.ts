import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { purgeExpired } from '../src/housekeeping/purge.js'

/** Hourly, with up to a minute of jitter so replicas started together don't all purge at once. */
export const PURGE_INTERVAL_MS = 60 * 60 * 1000
const PURGE_JITTER_MS = 60 * 1000

/** Periodically deletes expired idempotency keys and refresh tokens (their tables would grow forever otherwise). */
async function housekeepingPlugin (fastify: FastifyInstance) {
  let timer: NodeJS.Timeout | undefined
  const run = async () => {
    try {
      const purged = await purgeExpired(fastify.db)
      if (purged.idempotencyKeys + purged.refreshTokens > 0) fastify.log.info({ purged }, 'expired rows purged')
    } catch (error) {
      // A database outage must not crash the process; the next run tries again.
      fastify.log.warn({ err: error }, 'purge of expired rows failed')
    }
  }
  fastify.addHook('onReady', async () => {
    timer = setInterval(run, PURGE_INTERVAL_MS + Math.floor(Math.random() * PURGE_JITTER_MS))
    // Never keep the process alive just for housekeeping.
    timer.unref()
  })
  fastify.addHook('onClose', async () => { clearInterval(timer) })
}

export default fp(housekeepingPlugin, { name: 'housekeeping', dependencies: ['database'] })
