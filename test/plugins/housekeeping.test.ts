import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { purgeExpired } from '../../src/housekeeping/purge.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function housekeepingTests (t: Test): Promise<void> {
  t.test('expired idempotency keys and refresh tokens are purged; live ones stay', async (t) => {
    const { app } = await buildTestApp(t)
    const user = await createTestUser(app)
    const insertKey = async (key: string, ageHours: number) => app.db.query(
      'INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, \'h\', now() - make_interval(hours => $3))',
      [user.id, key, ageHours]
    )
    await insertKey('fresh', 1)
    await insertKey('a-day-old', 25)
    await insertKey('ancient', 72)
    const insertToken = async (hash: string, expiredHoursAgo: number) => app.db.query(
      'INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() - make_interval(hours => $4))',
      [randomUUID(), user.id, hash, expiredHoursAgo]
    )
    await insertToken(`live-${randomUUID()}`, -24)
    await insertToken(`just-expired-${randomUUID()}`, 1)
    await insertToken(`long-expired-${randomUUID()}`, 48)

    const purged = await purgeExpired(app.db)
    t.same(purged, { idempotencyKeys: 1, refreshTokens: 1 })
    const keys = await app.db.query<{ key: string }>('SELECT key FROM idempotency_keys WHERE user_id = $1 ORDER BY key', [user.id])
    t.same(keys.rows.map((row) => row.key), ['a-day-old', 'fresh'], 'keys are kept at least 24 hours (docs/api.md)')
    // Not the session row of the test user's own access token (test/support/users.ts).
    const tokens = await app.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE user_id = $1 AND family_id <> $2', [user.id, user.sessionId])
    t.equal(tokens.rows.length, 2)
    t.notOk(tokens.rows.some((row) => row.token_hash.startsWith('long-expired-')))
  })
}

await runAlone(import.meta.url, housekeepingTests)
