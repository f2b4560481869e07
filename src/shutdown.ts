import type { Server } from 'node:http'
import { setImmediate as afterPoll, setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'

/**
 * The listener closes only once no new connection has arrived for this long. Connections a client opened
 * just before the signal may still wait in the kernel's accept queue; closing the listening socket resets
 * them, so a request whose bytes already reached the machine would be lost.
 */
export const ACCEPT_QUIET_MS = 250
/** Under steady traffic the listener is never quiet: it closes after this much waiting regardless. */
export const ACCEPT_QUIET_MAX_MS = 2000
/**
 * While close() waits, sockets that went idle after a response written before the shutdown (so without
 * `connection: close`) are closed this often; otherwise close() would wait for their keep-alive timeout.
 */
const IDLE_SWEEP_INTERVAL_MS = 50

/** Resolves once the accept queue has been empty for ACCEPT_QUIET_MS, or after ACCEPT_QUIET_MAX_MS. */
async function acceptQueueDrained (server: Server): Promise<void> {
  let lastConnectionAt = Date.now()
  const onConnection = () => { lastConnectionAt = Date.now() }
  server.on('connection', onConnection)
  const giveUpAt = Date.now() + ACCEPT_QUIET_MAX_MS
  try {
    while (Date.now() < giveUpAt) {
      await sleep(ACCEPT_QUIET_MS / 4)
      // After a poll phase, every connection the kernel had queued has been accepted and counted: a loop that
      // was busy serving must not mistake "not yet accepted" for "quiet".
      await afterPoll()
      if (Date.now() - lastConnectionAt >= ACCEPT_QUIET_MS) return
    }
  } finally {
    server.off('connection', onConnection)
  }
}

/**
 * The shutdown sequence (docs/operations.md, "Shutdown timing"): readiness 503 and `connection: close` on every response
 * at once; the drain delay, so the load balancer stops sending; the accept queue emptied; then close(): the
 * listener stops, idle keep-alive sockets close, in-flight requests finish, and the database and Redis close last.
 */
export async function drainAndClose (app: FastifyInstance, drainDelayMs: number): Promise<void> {
  app.lifecycle.beginShutdown()
  if (drainDelayMs > 0) await sleep(drainDelayMs)
  await acceptQueueDrained(app.server)
  const sweeper = setInterval(() => { app.server.closeIdleConnections() }, IDLE_SWEEP_INTERVAL_MS)
  try {
    await app.close()
  } finally {
    clearInterval(sweeper)
  }
}
