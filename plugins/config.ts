import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { DEVELOPMENT_JWT_SECRET_FILE, describeBackends } from '../src/environment.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated, frozen configuration this app was built with. */
    config: Config
  }
}

async function configPlugin (fastify: FastifyInstance, options: { config: Config }) {
  const { config } = options
  fastify.decorate('config', config)
  // The first line of every boot: which database and cache this process uses (credentials masked).
  fastify.log.info({ env: config.env, ...describeBackends(config) }, 'configuration')
  if (config.jwt.secretSource === 'development-file') {
    fastify.log.info(`JWT_SECRET is not set: using the development secret kept in ${DEVELOPMENT_JWT_SECRET_FILE} (tokens survive restarts)`)
  } else if (config.jwt.secretSource === 'generated') {
    fastify.log.warn('JWT_SECRET is not set: using a random per-process secret; tokens will not survive a restart or work across instances')
  }
}

export default fp(configPlugin, { name: 'config', fastify: '5.x' })
