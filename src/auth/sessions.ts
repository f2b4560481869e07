import type { Queryable } from '../database/types.js'
import type { Cache } from '../cache/types.js'
import { TokenRevokedError } from '../errors.js'
import { isFamilyLive } from './refresh-token-repository.js'

/**
 * Whether the session an access token belongs to is still live: the token's `sid` claim names its refresh-token
 * family, and every way of ending sessions already revokes families in PostgreSQL (logout: one family; password
 * and role change: all of the account's; reuse of a rotated token: its family; a deleted account: cascade). So
 * one fact, "does this family still have an unrevoked token", decides every revocation, with no second counter
 * to keep in step and no deny-list to size.
 *
 * Per request it costs one cache read (Redis when REDIS_URL is set, so every replica sees a revocation at once;
 * process memory otherwise). A miss costs one indexed read of refresh_tokens and fills the cache. The answer is a
 * versioned entry (src/cache/versioned.ts): "live" is version 0 and "revoked" version 1, so a reader that found the
 * family live just before a revocation committed cannot put "live" back over the revocation's entry.
 *
 * When Redis fails, the cache answers a miss and the database decides (fail to the source of truth, not open);
 * when the database fails too, the request fails with 503. A revocation whose cache write is lost while Redis is
 * unreachable can leave an older "live" entry in Redis for at most its TTL (CACHE_TTL_SECONDS).
 */
const LIVE = 0
const REVOKED = 1

export interface SessionDeps {
  db: Queryable
  cache: Cache
  config: { cacheTtlSeconds: number }
}

const key = (familyId: string) => `session:${familyId}`

export async function assertSessionLive (deps: SessionDeps, familyId: string): Promise<void> {
  const cached = await deps.cache.getVersioned<boolean>(key(familyId))
  if (cached === true) return
  if (cached === false) throw new TokenRevokedError()
  const live = await isFamilyLive(deps.db, familyId)
  await deps.cache.fillVersion(key(familyId), live, live ? LIVE : REVOKED, deps.config.cacheTtlSeconds)
  if (!live) throw new TokenRevokedError()
}

/** After the revocation committed: every replica refuses these sessions' access tokens from now on. */
export async function forgetSessions (deps: Omit<SessionDeps, 'db'>, familyIds: readonly string[]): Promise<void> {
  await Promise.all([...new Set(familyIds)].map(async (familyId) => {
    await deps.cache.fillVersion(key(familyId), false, REVOKED, deps.config.cacheTtlSeconds)
  }))
}
