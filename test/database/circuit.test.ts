/**
 * The database circuit breaker (src/database/circuit.ts) on a stand-in database whose failures the test chooses:
 * it opens after the threshold of consecutive connection failures, then answers 503 + retry-after without calling
 * the database, lets exactly one probe through after the cooldown while the others fail fast, and closes when the
 * probe succeeds. Answers the server gave (a constraint, a statement timeout) never count.
 */
import type { Test } from 'tap'
import { guardDatabase, type CircuitStatus } from '../../src/database/circuit.js'
import { ServiceUnavailableError } from '../../src/errors.js'
import type { Database, QueryResult } from '../../src/database/types.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

function standIn () {
  const state = { calls: 0, pool: { total: 0, established: 0, idle: 0, waiting: 0 }, next: (): Promise<QueryResult<never>> => Promise.resolve({ rows: [], rowCount: 0 }) }
  const db: Database = {
    kind: 'postgres',
    query: async () => { state.calls++; return state.next() },
    transaction: async (fn) => { state.calls++; await state.next(); return fn({ query: async () => ({ rows: [], rowCount: 0 }) }) },
    execScript: async () => {},
    poolStats: () => state.pool,
    close: async () => {}
  }
  return { db, state }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function circuitTests (t: Test): Promise<void> {
  t.test('opens after the threshold, fails fast with 503 + retry-after, probes once after the cooldown, closes on success', async (t) => {
    const { db, state } = standIn()
    const changes: CircuitStatus[] = []
    const { db: guarded, circuit } = guardDatabase(db, { threshold: 3, cooldownMs: 300, poolMax: 10 }, (status) => changes.push(status))

    state.next = async () => { throw new Error('Query read timeout') }
    for (let i = 0; i < 3; i++) await t.rejects(guarded.query('SELECT 1'), /Query read timeout/)
    t.equal(circuit.status(), 'open')
    t.equal(circuit.opened, 1)

    const callsWhenOpened = state.calls
    const refusal = await guarded.query('SELECT 1').catch((error: unknown) => error)
    t.ok(refusal instanceof ServiceUnavailableError, 'an open circuit answers 503')
    t.same((refusal as ServiceUnavailableError).hints, { retryAfterSeconds: 1 })
    await t.rejects(guarded.transaction(async () => 1), ServiceUnavailableError, 'transactions too, before BEGIN')
    t.equal(state.calls, callsWhenOpened, 'the database was not called while open')

    await pause(350)
    let release: () => void = () => {}
    state.next = async () => { await new Promise<void>((resolve) => { release = resolve }); return { rows: [], rowCount: 0 } }
    const probe = guarded.query('SELECT 1')
    t.equal(circuit.status(), 'half-open')
    await t.rejects(guarded.query('SELECT 1'), ServiceUnavailableError, 'while the probe runs, the others fail fast instead of queueing behind it')
    release()
    await probe
    t.equal(circuit.status(), 'closed', 'a successful probe closes the circuit')
    t.same(changes, ['open', 'half-open', 'closed'])
  })

  t.test('answers the server gave never count: constraints, statement timeouts, business errors', async (t) => {
    const { db, state } = standIn()
    const { db: guarded, circuit } = guardDatabase(db, { threshold: 2, cooldownMs: 1000, poolMax: 10 }, () => {})
    const errors = [withCode('duplicate key', '23505'), withCode('canceling statement due to statement timeout', '57014'), new Error('insufficient stock')]
    for (const error of errors) {
      state.next = async () => { throw error }
      for (let i = 0; i < 3; i++) await t.rejects(guarded.query('SELECT 1'), error)
    }
    t.equal(circuit.status(), 'closed')
    t.equal(circuit.opened, 0)
  })

  t.test('waiting for a connection of a full, busy pool is overload, not an outage; a connect timeout with room is', async (t) => {
    const { db, state } = standIn()
    const { db: guarded, circuit } = guardDatabase(db, { threshold: 2, cooldownMs: 1000, poolMax: 10 }, () => {})
    state.next = async () => { throw new Error('timeout exceeded when trying to connect') }
    state.pool = { total: 10, established: 10, idle: 0, waiting: 50 }
    for (let i = 0; i < 5; i++) await t.rejects(guarded.query('SELECT 1'), /timeout exceeded/)
    t.equal(circuit.status(), 'closed', 'every connection busy: the waiters time out, the circuit stays closed')
    // A silent database: the pool is full of connect attempts that never complete, none of them established.
    state.pool = { total: 10, established: 1, idle: 0, waiting: 20 }
    for (let i = 0; i < 2; i++) await t.rejects(guarded.query('SELECT 1'), /timeout exceeded/)
    t.equal(circuit.status(), 'open', 'room in the pool and still no connection: the database is unreachable')
  })
}

await runAlone(import.meta.url, circuitTests)
