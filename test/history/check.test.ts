/**
 * The history checker must see each broken promise it claims to check: every case below is a history that breaks
 * exactly one, and a clean one that breaks none (the checker is what test/process/history-check.test.ts trusts).
 */
import type { Test } from 'tap'
import { checkHistory, type HistoryEvent, type Outcome, type Snapshot } from '../support/history/check.js'
import { runAlone } from '../support/test-file.js'

const P = 'product-1'
const U = 'user-1'
const created = (id: string): Outcome => ({ status: 201, body: { id }, headers: {} })
const refused: Outcome = { status: 409, body: {}, headers: {} }
const lost: Outcome = { error: 'socket hang up' }
const ok: Outcome = { status: 200, body: {}, headers: {} }
const line = (quantity: number) => [{ productId: P, quantity }]

function snapshot (stock: number, orders: Snapshot['orders'], keys: Snapshot['keys'] = []): Snapshot {
  return { stock: new Map([[P, stock]]), orders, keys }
}
const initial = new Map([[P, 10]])
const order = (id: string, quantity: number, status = 'placed') => ({ id, userId: U, status, items: line(quantity) })

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function checkTests (t: Test): Promise<void> {
  t.test('a clean history: placed, cancelled, restocked, an indeterminate order that committed, a keyed retry', async (t) => {
    const history: HistoryEvent[] = [
      { kind: 'order', userId: U, items: line(2), outcome: created('a') },
      { kind: 'order', userId: U, items: line(1), outcome: lost },
      { kind: 'order', userId: U, key: 'k', items: line(3), outcome: lost },
      { kind: 'order', userId: U, key: 'k', items: line(3), outcome: created('c') },
      { kind: 'cancel', userId: U, orderId: 'a', outcome: ok },
      { kind: 'restock', productId: P, delta: 4, outcome: ok },
      { kind: 'order', userId: U, items: line(50), outcome: refused }
    ]
    // 10 + 4 − (2 + 1 + 3) + 2 = 10
    const result = checkHistory(history, initial, snapshot(10, [order('a', 2, 'cancelled'), order('b', 1), order('c', 3)], [{ userId: U, key: 'k', orderId: 'c' }]))
    t.same(result.violations, [])
    t.equal(result.figures.ordersCommittedWithoutAcknowledgement, 1, 'the indeterminate order that committed is counted')
  })

  t.test('each broken promise is reported', async (t) => {
    const cases: Array<[string, HistoryEvent[], Snapshot, RegExp]> = [
      ['a 201 order is missing', [{ kind: 'order', userId: U, items: line(2), outcome: created('a') }], snapshot(10, []), /acknowledged with 201 but does not exist/],
      ['a refused order exists', [{ kind: 'order', userId: U, items: line(2), outcome: refused }], snapshot(8, [order('x', 2)]), /exists but every attempt/],
      ['stock is not conserved', [{ kind: 'order', userId: U, items: line(2), outcome: created('a') }], snapshot(9, [order('a', 2)]), /needs restocks of 1/],
      ['stock went negative', [{ kind: 'order', userId: U, items: line(11), outcome: created('a') }], snapshot(-1, [order('a', 11)]), /ends with stock -1/],
      ['one key, two orders', [
        { kind: 'order', userId: U, key: 'k', items: line(1), outcome: created('a') },
        { kind: 'order', userId: U, key: 'k', items: line(1), outcome: created('b') }
      ], snapshot(8, [order('a', 1), order('b', 1)], [{ userId: U, key: 'k', orderId: 'a' }]), /answered 2 different orders/],
      ['a 200 cancellation did not stick', [
        { kind: 'order', userId: U, items: line(1), outcome: created('a') },
        { kind: 'cancel', userId: U, orderId: 'a', outcome: ok }
      ], snapshot(9, [order('a', 1)]), /cancelled with 200 but is placed/],
      ['a refresh token with two successors', [
        { kind: 'refresh', presented: 'r0', outcome: { status: 200, body: { refreshToken: 'r1' }, headers: {} } },
        { kind: 'refresh', presented: 'r0', outcome: { status: 200, body: { refreshToken: 'r2' }, headers: {} } }
      ], snapshot(10, []), /2 different successors/]
    ]
    for (const [name, history, state, expected] of cases) {
      const { violations } = checkHistory(history, initial, state)
      t.equal(violations.length, 1, `${name}: one violation`)
      t.match(violations[0] ?? '', expected, name)
    }
  })
}

await runAlone(import.meta.url, checkTests)
