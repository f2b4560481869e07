import { setImmediate as afterPoll, setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

/** How often the connection is checked, and how long a PING may take before the connection counts as dead. */
export const WATCHDOG_INTERVAL_MS = 1000
export const WATCHDOG_PING_TIMEOUT_MS = 500
/** PINGs in a row that must go unanswered: one late answer on a busy machine is not an outage. */
export const UNANSWERED_PINGS_TO_DROP = 2
/** A connection attempt that has not become ready by then (its handshake may be black-holed) is started anew. */
export const STUCK_CONNECTING_MS = 3000

export interface RedisWatchdog {
  /** Connections the watchdog dropped because Redis stopped answering on them. */
  readonly forcedReconnects: number
  stop (): void
}

/**
 * The circuit breaker in front of Redis. A Redis that refuses connections costs nothing: ioredis knows it is
 * disconnected and, with the offline queue off, fails every command at once. A Redis that stops answering
 * (packets dropped, no reset) leaves the connection looking healthy, and every command waits for its timeout
 * for as long as the silence lasts (docs/library-defaults.md). This turns silence into "disconnected": when a
 * PING on a ready connection times out, or an attempt hangs before ready, the connection is dropped, so every
 * command fails fast again while ioredis' reconnection loop probes for recovery (its retryStrategy paces it).
 * The cache treats those failures as misses; the rate limit skips (plugins/rate-limit.ts).
 */
export function watchRedis (client: Redis, log: FastifyBaseLogger): RedisWatchdog {
  let forcedReconnects = 0
  let unanswered = 0
  let checking = false
  let statusSince = Date.now()
  let lastStatus = client.status

  const drop = (reason: string) => {
    forcedReconnects++
    log.warn({ reason, status: client.status }, 'redis connection dropped by the watchdog; commands fail fast until it reconnects')
    client.disconnect(true)
  }

  const check = async () => {
    if (client.status !== lastStatus) { lastStatus = client.status; statusSince = Date.now() }
    if (client.status === 'ready') {
      unanswered = await answered(client) ? 0 : unanswered + 1
      if (unanswered >= UNANSWERED_PINGS_TO_DROP && client.status === 'ready') {
        unanswered = 0
        drop(`${UNANSWERED_PINGS_TO_DROP} PINGs in a row unanswered within ${WATCHDOG_PING_TIMEOUT_MS} ms`)
      }
    } else if ((client.status === 'connect' || client.status === 'connecting') && Date.now() - statusSince > STUCK_CONNECTING_MS) {
      drop(`not ready after ${STUCK_CONNECTING_MS} ms`)
      statusSince = Date.now()
    }
  }

  const timer = setInterval(() => {
    // One check at a time: a PING may take up to its timeout, close to the interval.
    if (checking) return
    checking = true
    check().catch((error: unknown) => { log.warn({ err: error }, 'redis watchdog check failed') }).finally(() => { checking = false })
  }, WATCHDOG_INTERVAL_MS)
  timer.unref()

  return {
    get forcedReconnects () { return forcedReconnects },
    stop () { clearInterval(timer) }
  }
}

/** ioredis' error for a command that got no reply within commandTimeout: silence, not an answer. */
const COMMAND_TIMED_OUT = 'Command timed out'

/** Whether Redis answers a PING (with anything, an error included, but not ioredis' own timeout) within the timeout. */
async function answered (client: Redis): Promise<boolean> {
  let settled = false
  // The client's commandTimeout (500 ms) can fire just before the wait below ends: its rejection is not an answer.
  // It did so on every check of a connection without auto-pipelining (the invalidation subscriber), whose timer
  // starts before this function's, so a black-holed subscriber was never dropped.
  client.ping().then(() => { settled = true }, (error: unknown) => {
    if (!(error instanceof Error && error.message === COMMAND_TIMED_OUT)) settled = true
  })
  await sleep(WATCHDOG_PING_TIMEOUT_MS)
  // An event loop stalled past the timeout fires the timer before it reads the socket: let one poll phase read
  // what already arrived before calling the PING unanswered.
  if (!settled) await afterPoll()
  return settled
}
