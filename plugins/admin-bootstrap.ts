import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { hashPassword } from '../src/auth/passwords.js'
import { revokeAllOfUser } from '../src/auth/refresh-token-repository.js'
import { ensureAdmin, findUserWithHashByEmail } from '../src/users/repository.js'

const BOOTSTRAP_ADMIN_NAME = 'Administrator'

/**
 * With ADMIN_EMAIL and ADMIN_PASSWORD set, boot makes sure that account exists and is an admin.
 * One upsert: idempotent, and safe when several instances boot at once. See ensureAdmin for which
 * password wins; a promoted account also loses its sessions, which were opened with the old password.
 */
async function adminBootstrap (fastify: FastifyInstance) {
  const { admin } = fastify.config
  if (admin === undefined) return
  // An existing admin keeps its password (ensureAdmin), so the usual boot needs no argon2 hash: ~0.1 s of
  // boot CPU saved. If the account changes between this read and the upsert, the upsert still decides.
  const existing = await findUserWithHashByEmail(fastify.db, admin.email)
  if (existing?.role === 'admin') {
    fastify.log.info({ userId: existing.id, outcome: 'present' }, 'bootstrap admin ensured')
    return
  }
  const passwordHash = await hashPassword(admin.password)
  await fastify.db.transaction(async (tx) => {
    const { id, outcome } = await ensureAdmin(tx, { email: admin.email, name: BOOTSTRAP_ADMIN_NAME, passwordHash })
    if (outcome === 'promoted') {
      await revokeAllOfUser(tx, id)
      fastify.log.warn({ userId: id }, 'bootstrap admin: an existing customer account was promoted and given ADMIN_PASSWORD')
    } else {
      fastify.log.info({ userId: id, outcome }, 'bootstrap admin ensured')
    }
  })
}

export default fp(adminBootstrap, { name: 'admin-bootstrap', dependencies: ['config', 'database', 'auth'] })
