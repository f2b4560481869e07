import type { Database } from '../database/types.js'
import { hashPassword } from '../auth/passwords.js'
import { revokeAllOfUser } from '../auth/refresh-token-repository.js'
import { ensureAdmin, findUserWithHashByEmail, type AdminOutcome } from './repository.js'

const BOOTSTRAP_ADMIN_NAME = 'Administrator'

export interface BootstrapAdminOutcome {
  userId: string
  outcome: AdminOutcome
}

/**
 * Makes sure the ADMIN_EMAIL account exists and is an admin (plugins/admin-bootstrap.ts calls this at boot).
 * One upsert: idempotent, and safe when several instances boot at once. See ensureAdmin for which password
 * wins; a promoted account also loses its sessions, which were opened with the old password.
 */
export async function ensureBootstrapAdmin (db: Database, admin: { email: string, password: string }): Promise<BootstrapAdminOutcome> {
  // An existing admin keeps its password (ensureAdmin), so the usual boot needs no argon2 hash: ~0.1 s of
  // boot CPU saved. If the account changes between this read and the upsert, the upsert still decides.
  const existing = await findUserWithHashByEmail(db, admin.email)
  if (existing?.role === 'admin') return { userId: existing.id, outcome: 'present' }
  const passwordHash = await hashPassword(admin.password)
  return db.transaction(async (tx) => {
    const { id, outcome } = await ensureAdmin(tx, { email: admin.email, name: BOOTSTRAP_ADMIN_NAME, passwordHash })
    if (outcome === 'promoted') await revokeAllOfUser(tx, id)
    return { userId: id, outcome }
  })
}
