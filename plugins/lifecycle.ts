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
  // Once shutdown began, every response tells its keep-alive client not to reuse the connection, and Node closes
  // it as soon as the response is flushed: clients reconnect to another replica, and close() is not left
  // waiting for keep-alive sockets until their idle timeout (src/shutdown.ts).
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(lifecyclePlugin, { name: 'lifecycle' })
