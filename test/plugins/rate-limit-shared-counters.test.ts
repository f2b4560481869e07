/**
 * The shared rate-limit counters (src/rate-limit-store.ts) against the real Redis: what one replica answers from
 * memory, what it must ask Redis, and the documented bound when several replicas count one key.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { usingRedis } from '../helper.js'
import { redisKeyPrefix } from '../support/backends.js'
import { readUntil } from '../support/fixtures.js'
import { FLUSH_INTERVAL_MS, LOCAL_SHARE, SharedCounters } from '../../src/rate-limit-store.js'
import { runAlone } from '../support/test-file.js'

const SKIP = usingRedis ? false : 'needs REDIS_URL: the counters live in Redis'
const WINDOW_MS = 60_000

interface Replica {
  counters: SharedCounters
  /** Round trips this replica made to Redis for counting. */
  roundTrips: () => number
  /** Its connection, to cut it. */
  redis: Redis
}

async function replica (t: Test): Promise<Replica> {
  const redis = new Redis(process.env.REDIS_URL ?? '', { keyPrefix: redisKeyPrefix(t), lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  let roundTrips = 0
  const evaluate = redis.eval.bind(redis)
  // Counts the calls and hands them on unchanged.
  redis.eval = (async (...args: Parameters<typeof evaluate>) => { roundTrips++; return evaluate(...args) }) as typeof redis.eval
  const counters = new SharedCounters({ redis, nameSpace: 'rate-limit-test:' })
  t.teardown(() => { counters.close(); redis.disconnect() })
  return { counters, roundTrips: () => roundTrips, redis }
}

async function count (replica: Replica, key: string, max: number): Promise<{ current: number, ttl: number }> {
  return new Promise((resolve, reject) => {
    replica.counters.incr(key, (error, result) => { error !== null || result === undefined ? reject(error) : resolve(result) }, WINDOW_MS, max)
  })
}

const uniqueKey = () => `client-${randomBytes(6).toString('hex')}`

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function rateLimitSharedCountersTests (t: Test): Promise<void> {
  /** One reading connection for the file, opened by the first check. */
  let reader: Redis | undefined

  /** What Redis holds for the key once it reaches `expected` (the flush runs every FLUSH_INTERVAL_MS), within 5 s. */
  async function untilStored (key: string, expected: number): Promise<number> {
    if (reader === undefined) {
      const opened = new Redis(process.env.REDIS_URL ?? '', { keyPrefix: redisKeyPrefix(t) })
      t.teardown(() => { opened.disconnect() })
      reader = opened
    }
    const redis = reader
    return readUntil(async () => Number(await redis.get(`rate-limit-test:${key}`) ?? 0), expected, 5000, FLUSH_INTERVAL_MS)
  }

  t.test('one replica counts exactly, answers most requests from memory and still adds every one in Redis', { skip: SKIP }, async (t) => {
    const one = await replica(t)
    const key = uniqueKey()
    const max = 100
    const answers: number[] = []
    for (let n = 0; n < max + 20; n++) answers.push((await count(one, key, max)).current)
    t.same(answers, answers.map((_current, n) => n + 1), 'each request gets the next number, so exactly max pass')
    t.ok(one.roundTrips() <= (max + 20) / (max * LOCAL_SHARE) + 5, `${one.roundTrips()} round trips for ${max + 20} requests`)
    t.equal(await untilStored(key, max + 20), max + 20, 'Redis holds every request once the interval has passed')
  })

  t.test('once Redis has answered a count over the limit, refusals come from memory', { skip: SKIP }, async (t) => {
    const one = await replica(t)
    const key = uniqueKey()
    const max = 20
    let current = 0
    while (current <= max) current = (await count(one, key, max)).current
    const roundTrips = one.roundTrips()
    const refused: number[] = []
    for (let n = 0; n < 50; n++) refused.push((await count(one, key, max)).current)
    t.ok(refused.every((current) => current > max), 'every later request is over the limit')
    t.equal(one.roundTrips(), roundTrips, 'fifty refusals without a round trip')
    one.redis.disconnect()
    t.ok((await count(one, key, max)).current > max, 'and still refused with Redis gone, until the window ends')
  })

  t.test('a limit under 10 is counted in Redis on every request it admits', { skip: SKIP }, async (t) => {
    const one = await replica(t)
    const key = uniqueKey()
    const answers: number[] = []
    for (let n = 0; n < 9; n++) answers.push((await count(one, key, 9)).current)
    t.same(answers, [1, 2, 3, 4, 5, 6, 7, 8, 9])
    t.equal(one.roundTrips(), 9)
  })

  t.test('requests answered concurrently with a round trip are neither lost nor counted twice', { skip: SKIP }, async (t) => {
    const one = await replica(t)
    const key = uniqueKey()
    const max = 1000
    const answers = await Promise.all(Array.from({ length: 300 }, async () => (await count(one, key, max)).current))
    t.equal(new Set(answers).size, answers.length, 'no number is handed out twice')
    t.equal(Math.max(...answers), 300)
    t.equal(await untilStored(key, 300), 300)
  })

  t.test(`three replicas on one key admit at most max + 2 × ⌊max × ${LOCAL_SHARE}⌋, and at least max`, { skip: SKIP }, async (t) => {
    const replicas = [await replica(t), await replica(t), await replica(t)]
    const max = 100
    for (let round = 0; round < Number(process.env.ROUNDS ?? 5); round++) {
      const key = uniqueKey()
      let admitted = 0
      // Concurrent bursts from every replica, in a random order: the worst case for stale views.
      for (let burst = 0; burst < 20; burst++) {
        const sends = Array.from({ length: 10 }, () => replicas[Math.floor(Math.random() * replicas.length)])
        const answers = await Promise.all(sends.map(async (sender) => sender === undefined ? 0 : (await count(sender, key, max)).current))
        admitted += answers.filter((current) => current <= max).length
      }
      t.ok(admitted >= max && admitted <= max + 2 * Math.floor(max * LOCAL_SHARE), `round ${round + 1}: ${admitted} admitted`)
      t.equal(await untilStored(key, 200), 200, 'and Redis holds all 200 requests')
    }
  })
}

await runAlone(import.meta.url, rateLimitSharedCountersTests)
