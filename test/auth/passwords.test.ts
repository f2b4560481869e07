import type { Test } from 'tap'
import argon2 from 'argon2'
import { availableParallelism } from 'node:os'
import { ARGON2_OPTIONS, argon2Slot, DUMMY_PASSWORD_HASH, hashPassword, PASSWORD_HASH_CONCURRENCY, PasswordHashBusyError, verifyPassword } from '../../src/auth/passwords.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function passwordsTests (t: Test): Promise<void> {
  t.test('the dummy hash costs what a real one costs: same algorithm, version and parameters', async (t) => {
    const real = await hashPassword('correct horse battery staple')
    const parameters = (hash: string) => hash.split('$').slice(1, 4)
    t.same(parameters(DUMMY_PASSWORD_HASH), parameters(real), 'argon2id, v=19, m/t/p as ARGON2_OPTIONS')
    t.equal(argon2.needsRehash(DUMMY_PASSWORD_HASH, ARGON2_OPTIONS), false, 'argon2 reads it as current')
    t.match(DUMMY_PASSWORD_HASH, /^\$argon2id\$v=19\$m=\d+,p=\d+,t=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/, '16-byte salt, 32-byte digest')
  })

  t.test('no password verifies against the dummy hash, and argon2 really checks it', async (t) => {
    for (const password of ['', 'correct horse battery staple', DUMMY_PASSWORD_HASH]) {
      t.equal(await verifyPassword(DUMMY_PASSWORD_HASH, password), false)
    }
    // A hash argon2 cannot parse also gives false, so prove the dummy is parsed: the same shape with a real
    // digest of a known password verifies.
    const real = await hashPassword('known')
    t.equal(await verifyPassword(real, 'known'), true)
    t.equal(await argon2.verify(DUMMY_PASSWORD_HASH, 'known'), false, 'argon2 itself accepts the format (no throw)')
  })

  t.test('argon2 runs at most PASSWORD_HASH_CONCURRENCY at once; the rest wait their turn and all finish', async (t) => {
    t.ok(PASSWORD_HASH_CONCURRENCY >= 1 && PASSWORD_HASH_CONCURRENCY === Math.max(1, availableParallelism() - 1))
    const burst = PASSWORD_HASH_CONCURRENCY + 3
    const hashes = Array.from({ length: burst }, async (_, n) => hashPassword(`password ${n}`))
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(argon2Slot.activeCount, PASSWORD_HASH_CONCURRENCY, 'as many running as allowed')
    t.equal(argon2Slot.pendingCount, 3, 'the others queued')
    const done = await Promise.all(hashes)
    t.equal(new Set(done).size, burst, 'every hash computed')
    t.equal(argon2Slot.activeCount + argon2Slot.pendingCount, 0)
  })

  t.test('beyond queueMax waiting hashes, hashing and verifying are refused at once with auth-busy; the admitted ones finish', async (t) => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const holders = Array.from({ length: PASSWORD_HASH_CONCURRENCY }, async () => argon2Slot(async () => gate))
    t.equal(argon2Slot.activeCount, PASSWORD_HASH_CONCURRENCY, 'every slot busy')
    const admitted = [hashPassword('waits first', 2), verifyPassword(DUMMY_PASSWORD_HASH, 'waits second', 2)]
    t.equal(argon2Slot.pendingCount, 2)
    await t.rejects(hashPassword('one too many', 2), PasswordHashBusyError)
    await t.rejects(verifyPassword(DUMMY_PASSWORD_HASH, 'one too many', 2), PasswordHashBusyError, 'verify throws it too, never a silent false')
    const error = await hashPassword('one too many', 2).catch((caught: unknown) => caught)
    t.ok(error instanceof PasswordHashBusyError)
    if (error instanceof PasswordHashBusyError) {
      t.equal(error.status, 503)
      t.equal(error.slug, 'auth-busy')
      t.ok((error.hints.retryAfterSeconds ?? 0) > 0, 'the client is told when to retry')
    }
    t.equal(argon2Slot.pendingCount, 2, 'the refused ones never queued')
    release()
    await Promise.all(holders)
    const [hash, verified] = await Promise.all(admitted)
    t.match(hash, /^\$argon2id\$/)
    t.equal(verified, false)
  })

  t.test('queueMax 0 still admits a hash while a slot is free; without a bound nothing is refused', async (t) => {
    t.equal(argon2Slot.activeCount, 0)
    t.equal(await verifyPassword(DUMMY_PASSWORD_HASH, 'free slot', 0), false)
    const many = Array.from({ length: PASSWORD_HASH_CONCURRENCY + 40 }, async (_, n) => verifyPassword(DUMMY_PASSWORD_HASH, `unbounded ${n}`))
    t.same(new Set(await Promise.all(many)), new Set([false]))
  })
}

await runAlone(import.meta.url, passwordsTests)
