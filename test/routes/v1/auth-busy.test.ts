/**
 * The argon2 queue is bounded (PASSWORD_HASH_QUEUE_MAX): a flood of sign-ins or sign-ups is shed with 503 instead of
 * making every request wait behind it. Deterministic: the test holds every argon2 slot itself, so exactly the
 * bound's worth of requests queue and the rest are refused, whatever the machine's speed.
 */
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../../helper.js'
import { argon2Slot, PASSWORD_HASH_CONCURRENCY } from '../../../src/auth/passwords.js'
import { PROBLEM_JSON, problemType, uniqueEmail } from '../../support/fixtures.js'
import { registerAndLogin, TEST_PASSWORD } from '../../support/users.js'
import { runAlone } from '../../support/test-file.js'

const PASSWORD = TEST_PASSWORD
const QUEUE_MAX = 3

/** Occupies every argon2 slot until release() is called, or the test ends (so a failure cannot hang the next). */
function holdAllSlots (t: Test) {
  let release = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const holders = Array.from({ length: PASSWORD_HASH_CONCURRENCY }, async () => argon2Slot(async () => gate))
  t.teardown(() => { release() })
  return { release: async () => { release(); await Promise.all(holders) } }
}

/** Polls a condition; fails (instead of hanging the file) when it never holds: no timing is asserted. */
async function until (condition: () => boolean, what: string): Promise<void> {
  const giveUp = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`never happened: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function assertBusy (t: Test, response: LightMyRequestResponse): void {
  t.equal(response.statusCode, 503)
  t.ok(Number(response.headers['retry-after']) > 0, 'retry-after')
  t.match(response.headers['content-type'], PROBLEM_JSON)
  t.equal(response.json<{ type: string }>().type, problemType('auth-busy'))
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function authBusyTests (t: Test): Promise<void> {
  // The queue bound is a setting of the app: this test's bound of 3 gets an app of its own, the two with 0 share one.
  t.test('a burst of sign-ups and sign-ins beyond the queue bound: the excess answers 503 auth-busy, every admitted one normally', async (t) => {
    const { app } = await buildTestApp(t, { env: { PASSWORD_HASH_QUEUE_MAX: String(QUEUE_MAX) } })
    const email = uniqueEmail('busy')
    t.equal((await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Busy' } })).statusCode, 201)

    const slots = holdAllSlots(t)
    const registers = Array.from({ length: 10 }, async (_, i) => app.inject({
      method: 'POST', url: '/v1/auth/register', payload: { email: `busy-${i}-${email}`, password: PASSWORD, name: 'Busy' }
    }))
    // Distinct clients, so the failed-password lock plays no part.
    const logins = Array.from({ length: 10 }, async (_, i) => app.inject({
      method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD }, remoteAddress: `10.1.0.${i + 1}`
    }))
    const answered: LightMyRequestResponse[] = []
    for (const pending of [...registers, ...logins]) {
      pending.then((response) => answered.push(response), () => {})
    }
    // The shed ones answer while the slots are still held; the admitted ones are queued behind them.
    await until(() => answered.length === 20 - QUEUE_MAX && argon2Slot.pendingCount === QUEUE_MAX, `${20 - QUEUE_MAX} answered while ${QUEUE_MAX} wait`)
    t.equal(argon2Slot.pendingCount, QUEUE_MAX, 'exactly the bound waits')
    for (const response of answered) assertBusy(t, response)

    await slots.release()
    const all = await Promise.all([...registers, ...logins])
    const statuses = all.map((response) => response.statusCode)
    t.equal(statuses.filter((status) => status === 503).length, 20 - QUEUE_MAX)
    t.equal(statuses.filter((status) => status === 201 || status === 200).length, QUEUE_MAX, 'the admitted ones succeeded')
    t.same(statuses.filter((status) => ![200, 201, 503].includes(status)), [], 'nothing else, no 500')

    const after = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD }, remoteAddress: '10.2.0.1' })
    t.equal(after.statusCode, 200, 'once the burst is gone, sign-in works at once')
  })

  t.test('with PASSWORD_HASH_QUEUE_MAX=0', async (t) => {
    const { app } = await buildTestApp(t, { env: { PASSWORD_HASH_QUEUE_MAX: '0' } })

    t.test('a sign-in shed for load does not count toward the failed-password lock', async (t) => {
      const email = uniqueEmail('busy-lock')
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Busy' } })).statusCode, 201)
      const slots = holdAllSlots(t)
      for (let i = 0; i < 8; i++) assertBusy(t, await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: 'wrong-password' } }))
      await slots.release()
      t.equal((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })).statusCode, 200)
    })

    t.test('a password change is shed too when the queue is full', async (t) => {
      const { headers } = await registerAndLogin(app, { prefix: 'busy-change', name: 'Busy' })
      const slots = holdAllSlots(t)
      assertBusy(t, await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword: PASSWORD } }))
      await slots.release()
      t.equal((await app.inject({ method: 'PATCH', url: '/v1/users/me', headers, payload: { password: 'a brand new passphrase', currentPassword: PASSWORD } })).statusCode, 200)
    })
  })
}

await runAlone(import.meta.url, authBusyTests)
