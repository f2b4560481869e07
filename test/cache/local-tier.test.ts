/**
 * The in-process tier on its own (src/cache/local-tier.ts): a clock the test moves by hand and a next tier the
 * test answers by hand, so every race is played out in a chosen order instead of hoped for.
 */
import type { Test } from 'tap'
import { localTier, type Versioned } from '../../src/cache/local-tier.js'
import { runAlone } from '../support/test-file.js'

const TTL_MS = 1000

function setup (active: () => boolean = () => true) {
  const clock = { time: 0, now () { return clock.time } }
  const tier = localTier({ max: 100, ttlMs: TTL_MS, clock, active })
  return { clock, tier }
}

/** The next tier: every fetch waits until the test answers it, oldest first, and is counted. */
function nextTier () {
  const waiting: Array<{ resolve: (fetched: Versioned<string> | undefined) => void, reject: (error: Error) => void }> = []
  let calls = 0
  return {
    fetch: async () => {
      calls++
      return new Promise<Versioned<string> | undefined>((resolve, reject) => { waiting.push({ resolve, reject }) })
    },
    get calls () { return calls },
    answer (value: string, version: number) { waiting.shift()?.resolve({ value, version }) },
    fail () { waiting.shift()?.reject(new Error('next tier failed')) }
  }
}

/** A fetch that answers at once. */
const answered = (value: string, version: number) => async () => ({ value, version })

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function localTierTests (t: Test): Promise<void> {
  t.test('a kept copy is served without fetching until its TTL, counted from when its read started', async (t) => {
    const { clock, tier } = setup()
    const next = nextTier()
    const first = tier.read('k', next.fetch)
    clock.time = 300 // a slow read: the copy it brings is as old as its start
    next.answer('a', 1)
    t.equal(await first, 'a')
    clock.time = TTL_MS
    t.equal(await tier.read('k', next.fetch), 'a')
    t.equal(next.calls, 1, 'served from memory while no older than the TTL')
    t.equal(tier.stats.hits, 1)
    clock.time = TTL_MS + 1
    const expired = tier.read('k', next.fetch)
    t.equal(next.calls, 2, 'fetched again once the TTL since the read started ran out')
    next.answer('b', 2)
    t.equal(await expired, 'b')
  })

  t.test('a read slower than the TTL is answered but not kept', async (t) => {
    const { clock, tier } = setup()
    const next = nextTier()
    const read = tier.read('k', next.fetch)
    clock.time = TTL_MS
    next.answer('a', 1)
    t.equal(await read, 'a')
    const again = tier.read('k', next.fetch)
    t.equal(next.calls, 2, 'not kept: the next read fetches')
    next.answer('a', 1)
    await again
  })

  t.test('100 concurrent reads of a cold key share one fetch', async (t) => {
    const { tier } = setup()
    const next = nextTier()
    const reads = Array.from({ length: 100 }, async () => tier.read('k', next.fetch))
    next.answer('a', 1)
    t.same(await Promise.all(reads), reads.map(() => 'a'))
    t.equal(next.calls, 1, 'one fetch for all of them')
    t.equal(tier.stats.joined, 99)
  })

  t.test('a read that starts after an invalidation never joins the fetch that started before it', async (t) => {
    const { tier } = setup()
    const next = nextTier()
    const before = tier.read('k', next.fetch)
    tier.invalidate('k', 2)
    const after = tier.read('k', next.fetch)
    t.equal(next.calls, 2, 'the later reader reads for itself')
    next.answer('old', 1)
    next.answer('new', 2)
    t.equal(await before, 'old', 'the earlier reader gets what it read')
    t.equal(await after, 'new')
    t.equal(await tier.read('k', next.fetch), 'new', 'the copy of the invalidated version is kept')
    t.equal(next.calls, 2)
  })

  t.test('a fetch that read the row before a write cannot put the old copy back after its invalidation', async (t) => {
    const { tier } = setup()
    const next = nextTier()
    const stale = tier.read('k', next.fetch)
    tier.invalidate('k', 2)
    next.answer('old', 1)
    t.equal(await stale, 'old')
    t.equal(await tier.read('k', answered('new', 2)), 'new', 'the marker refused version 1: the next read fetched')
  })

  t.test('an invalidation drops older copies and keeps newer ones', async (t) => {
    const { tier } = setup()
    await tier.read('k', answered('v2', 2))
    tier.invalidate('k', 1)
    t.equal(await tier.read('k', answered('unused', 9)), 'v2', 'a late invalidation of an older version keeps the newer copy')
    tier.invalidate('k', 3)
    t.equal(await tier.read('k', answered('v3', 3)), 'v3', 'a newer invalidation drops it')
  })

  t.test('while inactive nothing is served or kept; clear() forgets copies and the reads under way', async (t) => {
    let active = false
    const { tier } = setup(() => active)
    const next = nextTier()
    const bypassed = tier.read('k', next.fetch)
    next.answer('a', 1)
    t.equal(await bypassed, 'a')
    const again = tier.read('k', next.fetch)
    t.equal(next.calls, 2, 'inactive: not kept, fetched again')
    next.answer('a', 1)
    await again

    active = true
    t.equal(await tier.read('k', answered('kept', 1)), 'kept', 'nothing read while inactive was kept')
    t.equal(await tier.read('k', answered('unused', 1)), 'kept')
    active = false
    t.equal(await tier.read('k', answered('bypassed', 1)), 'bypassed', 'a copy kept before is not served while inactive')
    active = true
    const underway = tier.read('other', next.fetch)
    tier.clear()
    next.answer('before-clear', 1)
    t.equal(await underway, 'before-clear')
    t.equal(await tier.read('k', answered('fresh', 1)), 'fresh', 'the copy kept before clear() is gone')
    t.equal(await tier.read('other', answered('fresh', 1)), 'fresh', 'a read under way at clear() was not kept')
  })

  t.test('a failed fetch fails every waiter and is not remembered', async (t) => {
    const { tier } = setup()
    const next = nextTier()
    const reads = [tier.read('k', next.fetch), tier.read('k', next.fetch)]
    next.fail()
    for (const read of reads) await t.rejects(read, /next tier failed/)
    t.equal(await tier.read('k', answered('a', 1)), 'a', 'the next read fetches again')
  })
}

await runAlone(import.meta.url, localTierTests)
