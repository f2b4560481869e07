import type { Test } from 'tap'
import { decodeInvalidation, encodeInvalidation, invalidationChannel } from '../../src/cache/invalidation-bus.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function invalidationMessageTests (t: Test): Promise<void> {
  t.test('an invalidation message carries the key and the committed version, whatever the key contains', async (t) => {
    for (const key of ['product:0b6f1c9e-1f0a-4c55-9a53-0d4c3c1f4b7e', 'odd|key|with|bars', '']) {
      t.same(decodeInvalidation(encodeInvalidation(key, 42)), { key, version: 42 }, key)
    }
  })

  t.test('a message that is not one is ignored, never thrown on', async (t) => {
    for (const message of ['', '|product:x', 'x|product:x', 'no separator', '1.5|product:x', '99999999999999999999|product:x']) {
      t.equal(decodeInvalidation(message), undefined, JSON.stringify(message))
    }
  })

  t.test('replicas that share a key prefix share the channel; another prefix hears nothing of it', async (t) => {
    t.equal(invalidationChannel('shop:'), invalidationChannel('shop:'))
    t.not(invalidationChannel('shop:'), invalidationChannel('staging:'))
  })
}

await runAlone(import.meta.url, invalidationMessageTests)
