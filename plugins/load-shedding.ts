import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'

/** Seconds a shed client should wait; one sampling interval is plenty to recover or not. */
export const SHED_RETRY_AFTER_SECONDS = 2

/**
 * Answers 503 + retry-after when the event loop lags, instead of queueing without bound.
 * Dependency checks stay in readiness: a failing check here would also fail liveness.
 */
async function loadSheddingPlugin (fastify: FastifyInstance) {
  await fastify.register(underPressure, {
    maxEventLoopDelay: fastify.config.maxEventLoopDelayMs,
    retryAfter: SHED_RETRY_AFTER_SECONDS,
    exposeStatusRoute: false
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', dependencies: ['config'] })

/** @see https://github.com/fastify/under-pressure */
