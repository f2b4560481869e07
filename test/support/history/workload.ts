/**
 * The random workload of the history test: a balancer over the live replicas and workers that place orders (with
 * and without an Idempotency-Key, retried on another replica), cancel them, restock products (read, then a
 * conditional PATCH), read them, and race two refreshes of one token on two replicas. Every request and its answer
 * is appended to the history; nothing is judged here (check.ts does that).
 */
import type { ServerProcess } from '../server-process.js'
import { httpCall } from '../server-process.js'
import type { HistoryEvent, Line, Outcome } from './check.js'
import { verdict } from './check.js'

/** A client gives up after this; the run reports it, the check treats it as indeterminate. */
export const CLIENT_TIMEOUT_MS = 15_000

export interface Customer { id: string, headers: Record<string, string> }
export interface Refresher { email: string, password: string, refreshToken: string }

export interface WorkloadOptions {
  operations: number
  concurrency: number
  random: () => number
  /** The replicas the balancer sends to now (one may be killed during the run). */
  live: () => ServerProcess[]
  customers: Customer[]
  admin: Customer
  refreshers: Refresher[]
  products: string[]
  /** Called after every operation with the number done, so faults can follow the run's progress. */
  progress: (done: number) => void
}

export interface WorkloadResult { history: HistoryEvent[], slowestMs: number, clientTimeouts: number }

export async function runWorkload (options: WorkloadOptions): Promise<WorkloadResult> {
  const { random } = options
  const history: HistoryEvent[] = []
  const placed: Array<{ id: string, userId: string }> = []
  let slowestMs = 0
  let clientTimeouts = 0
  let next = 0
  let done = 0
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T
  const replica = (avoid?: string) => {
    const live = options.live()
    const others = live.filter((server) => server.url !== avoid)
    return pick(others.length > 0 ? others : live)
  }

  const call = async (server: ServerProcess, path: string, init: { method?: string, headers?: Record<string, string>, body?: unknown } = {}): Promise<Outcome> => {
    const started = Date.now()
    try {
      const answer = await httpCall(`${server.url}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        timeoutMs: CLIENT_TIMEOUT_MS
      })
      let body: unknown = answer.body
      try { body = JSON.parse(answer.body) } catch {}
      return { status: answer.status, body, headers: answer.headers }
    } catch (error) {
      if ((error as Error).message.startsWith('no answer within')) clientTimeouts++
      return { error: (error as Error).message }
    } finally {
      slowestMs = Math.max(slowestMs, Date.now() - started)
    }
  }

  const order = async () => {
    const customer = pick(options.customers)
    const products = [...options.products].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 2))
    const items: Line[] = products.map((productId) => ({ productId, quantity: 1 + Math.floor(random() * 3) }))
    const send = async (server: ServerProcess, key?: string) => {
      const outcome = await call(server, '/v1/orders', {
        method: 'POST',
        headers: key === undefined ? customer.headers : { ...customer.headers, 'idempotency-key': key },
        body: { items }
      })
      history.push({ kind: 'order', userId: customer.id, ...(key === undefined ? {} : { key }), items, outcome })
      if (verdict(outcome) === 'done' && !('error' in outcome)) {
        const id = (outcome.body as { id: string }).id
        if (!placed.some((known) => known.id === id)) placed.push({ id, userId: customer.id })
      }
      return outcome
    }
    const roll = random()
    if (roll < 0.4) { await send(replica()); return }
    const key = `history-${Math.floor(random() * 2 ** 48).toString(36)}`
    const first = replica()
    if (roll < 0.55) {
      // Two replicas at once with one key: a client retrying before its first attempt answered.
      await Promise.all([send(first, key), send(replica(first.url), key)])
      return
    }
    let outcome = await send(first, key)
    // A careful client retries an unanswered request with the same key, on whichever replica the balancer picks;
    // some retry even a clear answer (a lost response on their side).
    for (let attempt = 0; attempt < 3 && (verdict(outcome) === 'indeterminate' || random() < 0.3); attempt++) {
      outcome = await send(replica(first.url), key)
    }
  }

  const cancel = async () => {
    const target = placed.length > 0 ? pick(placed) : undefined
    if (target === undefined) return
    const customer = options.customers.find((candidate) => candidate.id === target.userId)
    if (customer === undefined) return
    const outcome = await call(replica(), `/v1/orders/${target.id}/cancel`, { method: 'POST', headers: customer.headers })
    history.push({ kind: 'cancel', userId: customer.id, orderId: target.id, outcome })
  }

  const restock = async () => {
    const productId = pick(options.products)
    const read = await call(replica(), `/v1/products/${productId}`, { headers: options.admin.headers })
    history.push({ kind: 'edit-read', productId, outcome: read })
    if (verdict(read) !== 'done' || 'error' in read) return
    const etag = read.headers.etag
    const stock = (read.body as { stock: number }).stock
    if (typeof etag !== 'string') return
    const delta = 1 + Math.floor(random() * 5)
    // Conditional on the version just read: a 200 means exactly `delta` units were added, whatever ran meanwhile.
    const outcome = await call(replica(), `/v1/products/${productId}`, {
      method: 'PATCH',
      headers: { ...options.admin.headers, 'if-match': etag },
      body: { stock: stock + delta }
    })
    history.push({ kind: 'restock', productId, delta, outcome })
  }

  const read = async () => {
    const productId = pick(options.products)
    history.push({ kind: 'read', productId, outcome: await call(replica(), `/v1/products/${productId}`) })
  }

  const refresh = async () => {
    const refresher = pick(options.refreshers)
    const presented = refresher.refreshToken
    const first = replica()
    // Two tabs of one browser refreshing at once, each through another replica.
    const outcomes = await Promise.all([first, replica(first.url)].map(async (server) => {
      const outcome = await call(server, '/v1/auth/refresh', { method: 'POST', body: { refreshToken: presented } })
      history.push({ kind: 'refresh', presented, outcome })
      return outcome
    }))
    const successor = outcomes.map((outcome) => 'error' in outcome || outcome.status !== 200 ? undefined : (outcome.body as { refreshToken: string }).refreshToken).find((token) => token !== undefined)
    if (successor !== undefined) { refresher.refreshToken = successor; return }
    // The family was revoked (reuse) or the service was unavailable: sign in again.
    const login = await call(replica(), '/v1/auth/login', { method: 'POST', body: { email: refresher.email, password: refresher.password } })
    history.push({ kind: 'login', outcome: login })
    if (!('error' in login) && login.status === 200) refresher.refreshToken = (login.body as { refreshToken: string }).refreshToken
  }

  const operations: Array<[number, () => Promise<void>]> = [[0.45, order], [0.12, cancel], [0.1, restock], [0.23, read], [0.1, refresh]]
  const worker = async () => {
    while (next < options.operations) {
      next++
      let roll = random()
      const operation = operations.find(([weight]) => (roll -= weight) < 0)?.[1] ?? read
      await operation()
      options.progress(++done)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return { history, slowestMs, clientTimeouts }
}

/** A small seeded generator (mulberry32): a failing run is repeated with its printed seed. */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}
