import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ensureBootstrapAdmin } from '../src/users/bootstrap-admin.js'

/** With ADMIN_EMAIL and ADMIN_PASSWORD set, boot makes sure that account exists and is an admin (src/users/bootstrap-admin.ts). */
async function adminBootstrap (fastify: FastifyInstance) {
  const { admin } = fastify.config
  if (admin === undefined) return
  const { userId, outcome } = await ensureBootstrapAdmin(fastify.db, admin)
  if (outcome === 'promoted') {
    fastify.log.warn({ userId }, 'bootstrap admin: an existing customer account was promoted and given ADMIN_PASSWORD')
  } else {
    fastify.log.info({ userId, outcome }, 'bootstrap admin ensured')
  }
}

export default fp(adminBootstrap, { name: 'admin-bootstrap', dependencies: ['config', 'database', 'auth'] })
