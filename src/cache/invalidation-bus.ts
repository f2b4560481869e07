import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

/** Under the deployment's key prefix: replicas that share a prefix share the cache, and so its invalidations. */
export function invalidationChannel (keyPrefix: string): string {
  return `${keyPrefix}cache-invalidations`
}

/** `<version>|<key>`: the version goes first because it cannot contain the separator. */
export function encodeInvalidation (key: string, version: number): string {
  return `${version}|${key}`
}

export function decodeInvalidation (message: string): { key: string, version: number } | undefined {
  const separator = message.indexOf('|')
  const version = Number(message.slice(0, separator))
  if (separator < 1 || !Number.isSafeInteger(version)) return undefined
  return { key: message.slice(separator + 1), version }
}

export interface InvalidationListener {
  invalidate: (key: string, version: number) => void
  /** Messages may have been missed: forget everything. */
  reset: () => void
}

export interface InvalidationBus {
  /** True while subscribed on a ready connection: every invalidation published from now on reaches this process. */
  readonly live: boolean
  readonly received: number
}

/**
 * Hears the invalidations every replica publishes (src/cache/versioned.ts publishes them in the same script that
 * writes the marker) on a connection of its own, as Redis requires of a subscriber. While that connection is down
 * messages are lost, so the listener is reset when it closes and again once the subscription is back; in between,
 * `live` is false and process memory is bypassed. A connection that goes silent instead of closing is dropped by a
 * watchdog of its own (src/cache/redis-watchdog.ts, PING is allowed in subscriber mode).
 */
export function listenForInvalidations (
  subscriber: Redis, channel: string, listener: InvalidationListener, log: FastifyBaseLogger
): InvalidationBus {
  let live = false
  let received = 0
  const down = () => {
    if (live) log.warn('cache invalidations cannot arrive: process memory is bypassed until resubscribed')
    live = false
    listener.reset()
  }
  const subscribe = () => {
    subscriber.subscribe(channel).then(() => {
      // Whatever was kept before now may have missed a message.
      listener.reset()
      live = subscriber.status === 'ready'
    }, (error: unknown) => {
      log.warn({ err: error }, 'subscribing to cache invalidations failed; reconnecting to try again')
      subscriber.disconnect(true)
    })
  }
  subscriber.on('ready', subscribe)
  subscriber.on('close', down)
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return
    const invalidation = decodeInvalidation(message)
    if (invalidation === undefined) return
    received++
    listener.invalidate(invalidation.key, invalidation.version)
  })
  if (subscriber.status === 'ready') subscribe()
  return {
    get live () { return live },
    get received () { return received }
  }
}
