import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

export interface Lifecycle {
  /** True once a shutdown began: readiness answers 503 so the load balancer stops sending traffic. */
  readonly shuttingDown: boolean
  beginShutdown(): void
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

async function lifecyclePlugin (fastify: FastifyInstance) {
  let shuttingDown = false
  const lifecycle: Lifecycle = {
    get shuttingDown () { return shuttingDown },
    beginShutdown () { shuttingDown = true }
  }
  fastify.decorate('lifecycle', lifecycle)
  // close() without a prior signal (tests, embedding) is a shutdown too.
  fastify.addHook('preClose', async () => { lifecycle.beginShutdown() })
}

export default fp(lifecyclePlugin, { name: 'lifecycle' })
