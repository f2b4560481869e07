import type { User } from '../../schemas/user.js'
import type { UserRow } from './repository.js'

/** Row → API shape. Picks fields one by one so a column added later is not exposed by accident. */
export function toUser (row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: row.disabled,
    createdAt: new Date(row.created_at).toISOString()
  }
}
