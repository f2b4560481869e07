import type { Test } from 'tap'
import type { Cache } from '../../src/cache/types.js'
import { buildTestApp, usingRedis } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/**
 * The read-through race: reader R misses and reads version 1 from the database; writer W commits version 2 and
 * invalidates; R then fills the cache. Without versions R would put version 1 back until the TTL ran out.
 */
async function checkVersionRules (t: Test, cache: Cache) {
  const key = `versioned-${Math.random()}`
  await cache.invalidateVersion(key, 2)
  t.equal(await cache.getVersioned(key), undefined, 'an invalidation marker reads as a miss')
  await cache.fillVersion(key, { stock: 10, version: 1 }, 1)
  t.equal(await cache.getVersioned(key), undefined, 'a fill older than the invalidation is refused')
  await cache.fillVersion(key, { stock: 9, version: 2 }, 2)
  t.same(await cache.getVersioned(key), { stock: 9, version: 2 }, 'a fill of the invalidated version is accepted')
  await cache.fillVersion(key, { stock: 10, version: 1 }, 1)
  t.same(await cache.getVersioned(key), { stock: 9, version: 2 }, 'an older fill never replaces a newer entry')
  await cache.invalidateVersion(key, 1)
  t.same(await cache.getVersioned(key), { stock: 9, version: 2 }, 'a late invalidation of an older version keeps the newer entry')
  await cache.invalidateVersion(key, 3)
  t.equal(await cache.getVersioned(key), undefined, 'a newer invalidation drops it')
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function versionedTests (t: Test): Promise<void> {
  t.test('versioned entries refuse stale fills (memory or Redis, as configured)', async (t) => {
    const { app } = await buildTestApp(t)
    await checkVersionRules(t, app.cache)
  })

  t.test('versioned entries refuse stale fills on the in-memory store as well', { skip: usingRedis ? false : 'covered by the test above' }, async (t) => {
    const { memoryCache } = await import('../../src/cache/memory.js')
    await checkVersionRules(t, memoryCache(60))
  })
}

await runAlone(import.meta.url, versionedTests)
