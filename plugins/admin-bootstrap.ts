import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { hashPassword } from '../src/auth/passwords.js'
import { ensureAdmin } from '../src/users/repository.js'

const BOOTSTRAP_ADMIN_NAME = 'Administrator'

/**
 * With ADMIN_EMAIL and ADMIN_PASSWORD set, boot makes sure that account exists and is an admin.
 * Idempotent (one upsert), safe when several instances boot at once; an existing account keeps its
 * password, so an admin who changed it is not reset by the next deploy.
 */
async function adminBootstrap (fastify: FastifyInstance) {
  const { admin } = fastify.config
  if (admin === undefined) return
  const passwordHash = await hashPassword(admin.password)
  const { id, created } = await ensureAdmin(fastify.db, { email: admin.email, name: BOOTSTRAP_ADMIN_NAME, passwordHash })
  fastify.log.info({ userId: id, created }, created ? 'bootstrap admin created' : 'bootstrap admin present')
}

export default fp(adminBootstrap, { name: 'admin-bootstrap', dependencies: ['config', 'database', 'auth'] })
