import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/** Echoes the request id (chosen by genReqId in src/server-options.ts) on every response. */
async function requestIdPlugin (fastify: FastifyInstance) {
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
}

export default fp(requestIdPlugin, { name: 'request-id' })
