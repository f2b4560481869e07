/**
 * The checker of the history test (test/process/history-check.test.ts): given every request and answer of a run
 * and what the database holds afterwards, it lists every broken promise. Pure: no I/O, so it is unit-tested with
 * hand-made histories (test/support/history/check.test.ts).
 *
 * An answer is one of three kinds. 2xx: it happened. 4xx: it did not happen. Anything else — no answer (timeout,
 * reset, a replica killed mid-request) or a 5xx (a 503 may follow a COMMIT whose reply was lost) — is
 * indeterminate: it may or may not have happened, and the check accepts both.
 */

export type Outcome = { status: number, body: unknown, headers: Record<string, string | string[] | undefined> } | { error: string }

export type Verdict = 'done' | 'refused' | 'indeterminate'

export function verdict (outcome: Outcome): Verdict {
  if ('error' in outcome) return 'indeterminate'
  if (outcome.status >= 200 && outcome.status < 300) return 'done'
  if (outcome.status >= 400 && outcome.status < 500) return 'refused'
  return 'indeterminate'
}

export interface Line { productId: string, quantity: number }

export type HistoryEvent =
  | { kind: 'order', userId: string, key?: string, items: Line[], outcome: Outcome }
  | { kind: 'cancel', userId: string, orderId: string, outcome: Outcome }
  | { kind: 'restock', productId: string, delta: number, outcome: Outcome }
  | { kind: 'read', productId: string, outcome: Outcome }
  | { kind: 'refresh', presented: string, outcome: Outcome }
  | { kind: 'login', outcome: Outcome }
  | { kind: 'edit-read', productId: string, outcome: Outcome }

export interface Snapshot {
  /** Stock of every product of the run, after it. */
  stock: Map<string, number>
  /** Every order of the run's customers. */
  orders: Array<{ id: string, userId: string, status: string, items: Line[] }>
  /** Every idempotency key row of the run's customers, with the order it answered (null while unfinished). */
  keys: Array<{ userId: string, key: string, orderId: string | null }>
}

export interface HistoryFigures {
  operations: number
  orders: number
  ordersAcknowledged: number
  ordersIndeterminate: number
  /** Orders that exist though their client got no clear answer (a lost reply, a killed replica, a 503). */
  ordersCommittedWithoutAcknowledgement: number
  keys: number
  cancellations: number
  restocks: number
  refreshes: number
  reads: number
  indeterminate: number
  unitsPlaced: number
  unitsCancelled: number
  violations: number
}

export interface CheckResult {
  violations: string[]
  figures: HistoryFigures
}

const itemsKey = (items: Line[]) => [...items].sort((a, b) => a.productId.localeCompare(b.productId)).map((line) => `${line.productId}x${line.quantity}`).join(',')

function orderIdOf (outcome: Outcome): string | undefined {
  if ('error' in outcome) return undefined
  const id = (outcome.body as { id?: unknown } | null)?.id
  return typeof id === 'string' ? id : undefined
}

export function checkHistory (history: HistoryEvent[], initialStock: Map<string, number>, snapshot: Snapshot): CheckResult {
  const violations: string[] = []
  const dbOrders = new Map(snapshot.orders.map((order) => [order.id, order]))
  const orders = history.filter((event) => event.kind === 'order')
  const cancels = history.filter((event) => event.kind === 'cancel')

  // Stock is never negative: neither in any answer nor at the end.
  for (const event of history) {
    if (event.kind !== 'read' || verdict(event.outcome) !== 'done' || 'error' in event.outcome) continue
    const stock = (event.outcome.body as { stock?: unknown }).stock
    if (typeof stock !== 'number' || stock < 0) violations.push(`read of ${event.productId} answered stock ${String(stock)}`)
  }
  for (const [productId, stock] of snapshot.stock) if (stock < 0) violations.push(`product ${productId} ends with stock ${stock}`)

  // Every order acknowledged with 201 exists, with the lines it was placed with.
  const acknowledged = new Set<string>()
  for (const event of orders) {
    if (verdict(event.outcome) !== 'done') continue
    const id = orderIdOf(event.outcome)
    if (id === undefined) { violations.push('a 201 order answer carries no id'); continue }
    acknowledged.add(id)
    const stored = dbOrders.get(id)
    if (stored === undefined) violations.push(`order ${id} was acknowledged with 201 but does not exist`)
    else if (stored.userId !== event.userId || itemsKey(stored.items) !== itemsKey(event.items)) violations.push(`order ${id} is stored with other lines or another owner than were ordered`)
  }

  // At most one order per (user, idempotency key): every 201 of one key names the same order, and the key's row
  // names it too; a key none of whose attempts may have succeeded has no order.
  const attemptsByKey = new Map<string, typeof orders>()
  for (const event of orders) {
    if (event.key === undefined) continue
    const id = `${event.userId}/${event.key}`
    attemptsByKey.set(id, [...(attemptsByKey.get(id) ?? []), event])
  }
  const keyRows = new Map(snapshot.keys.map((row) => [`${row.userId}/${row.key}`, row]))
  const keyOfOrder = new Map<string, string>()
  for (const [id, attempts] of attemptsByKey) {
    const answered = new Set(attempts.filter((event) => verdict(event.outcome) === 'done').map((event) => orderIdOf(event.outcome)))
    if (answered.size > 1) violations.push(`key ${id} answered ${answered.size} different orders`)
    const row = keyRows.get(id)
    if (row?.orderId !== null && row?.orderId !== undefined) {
      keyOfOrder.set(row.orderId, id)
      if (answered.size === 1 && !answered.has(row.orderId)) violations.push(`key ${id} answered an order other than the one it stores`)
      if (attempts.every((event) => verdict(event.outcome) === 'refused')) violations.push(`key ${id} has order ${row.orderId} though every attempt was refused`)
    }
  }

  // No order exists that was answered with a refusal: an order nobody was told of must belong to a key or an
  // unkeyed attempt of the same customer, same lines, whose answer was indeterminate (each such attempt used once).
  const unanswered = new Map<string, number>()
  for (const event of orders) {
    if (event.key !== undefined || verdict(event.outcome) !== 'indeterminate') continue
    const id = `${event.userId}|${itemsKey(event.items)}`
    unanswered.set(id, (unanswered.get(id) ?? 0) + 1)
  }
  let indeterminateCommitted = 0
  for (const order of snapshot.orders) {
    if (acknowledged.has(order.id)) continue
    indeterminateCommitted++
    const key = keyOfOrder.get(order.id)
    if (key !== undefined) {
      const attempts = attemptsByKey.get(key) ?? []
      if (!attempts.some((event) => verdict(event.outcome) === 'indeterminate')) violations.push(`order ${order.id} of key ${key} exists, but no attempt with that key may have placed it`)
      continue
    }
    const id = `${order.userId}|${itemsKey(order.items)}`
    const left = unanswered.get(id) ?? 0
    if (left === 0) violations.push(`order ${order.id} exists but every attempt that could have placed it was refused or acknowledged otherwise`)
    else unanswered.set(id, left - 1)
  }

  // Cancellations: a 200 leaves the order cancelled; a cancelled order had a cancellation that may have succeeded.
  const cancelled = new Set(cancels.filter((event) => verdict(event.outcome) !== 'refused').map((event) => event.orderId))
  for (const event of cancels) {
    if (verdict(event.outcome) === 'done' && dbOrders.get(event.orderId)?.status !== 'cancelled') violations.push(`order ${event.orderId} was cancelled with 200 but is ${dbOrders.get(event.orderId)?.status ?? 'missing'}`)
  }
  for (const order of snapshot.orders) {
    if (order.status === 'cancelled' && !cancelled.has(order.id)) violations.push(`order ${order.id} is cancelled though no cancellation may have succeeded`)
  }

  // Stock conservation per product: initial + restocks − placed + cancelled = final. Restocks answered 200 count;
  // indeterminate ones may or may not, so the equation must hold for some amount between the two sums.
  let placedUnits = 0
  let cancelledUnits = 0
  for (const [productId, initial] of initialStock) {
    let placed = 0
    let returned = 0
    for (const order of snapshot.orders) {
      for (const line of order.items) {
        if (line.productId !== productId) continue
        placed += line.quantity
        if (order.status === 'cancelled') returned += line.quantity
      }
    }
    placedUnits += placed
    cancelledUnits += returned
    const restocks = history.filter((event): event is Extract<HistoryEvent, { kind: 'restock' }> => event.kind === 'restock' && event.productId === productId)
    const certain = restocks.filter((event) => verdict(event.outcome) === 'done').reduce((sum, event) => sum + event.delta, 0)
    const possible = restocks.filter((event) => verdict(event.outcome) === 'indeterminate').reduce((sum, event) => sum + event.delta, 0)
    const final = snapshot.stock.get(productId)
    const restocked = (final ?? NaN) - initial + placed - returned
    if (!(restocked >= certain && restocked <= certain + possible)) {
      violations.push(`product ${productId}: ${initial} + restocks − ${placed} + ${returned} = ${String(final)} needs restocks of ${restocked}, but ${certain} were acknowledged (+ up to ${possible} unknown)`)
    }
  }

  // A refresh token has at most one successor, however many replicas were asked at once.
  const successors = new Map<string, Set<string>>()
  for (const event of history) {
    if (event.kind !== 'refresh' || verdict(event.outcome) !== 'done' || 'error' in event.outcome) continue
    const next = (event.outcome.body as { refreshToken?: unknown }).refreshToken
    if (typeof next !== 'string') continue
    successors.set(event.presented, new Set([...(successors.get(event.presented) ?? []), next]))
  }
  for (const [, next] of successors) if (next.size > 1) violations.push(`a refresh token was exchanged for ${next.size} different successors`)

  const count = (kind: HistoryEvent['kind'], which?: Verdict) => history.filter((event) => event.kind === kind && (which === undefined || verdict(event.outcome) === which)).length
  return {
    violations,
    figures: {
      operations: history.length,
      orders: count('order'),
      ordersAcknowledged: acknowledged.size,
      ordersIndeterminate: count('order', 'indeterminate'),
      ordersCommittedWithoutAcknowledgement: indeterminateCommitted,
      keys: attemptsByKey.size,
      cancellations: count('cancel'),
      restocks: count('restock'),
      refreshes: count('refresh'),
      reads: count('read'),
      indeterminate: history.filter((event) => verdict(event.outcome) === 'indeterminate').length,
      unitsPlaced: placedUnits,
      unitsCancelled: cancelledUnits,
      violations: violations.length
    }
  }
}
