import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/** Echoes the request id (chosen by genReqId in src/server-options.ts) on every response. */
async function requestIdPlugin (fastify: FastifyInstance) {
  // A callback hook, not an async one: every request passes here, and an async hook costs a promise each time.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}

export default fp(requestIdPlugin, { name: 'request-id' })
