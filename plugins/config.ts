import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated, frozen configuration this app was built with. */
    config: Config
  }
}

async function configPlugin (fastify: FastifyInstance, options: { config: Config }) {
  fastify.decorate('config', options.config)
  if (options.config.jwt.secretGenerated) {
    fastify.log.warn('JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart or work across instances')
  }
}

export default fp(configPlugin, { name: 'config', fastify: '5.x' })
