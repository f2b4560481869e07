import { createHash } from 'node:crypto'
import type { Cache } from '../cache/types.js'
import type { Database } from '../database/types.js'
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError, UnprocessableError } from '../errors.js'
import { forgetProducts } from '../products/cache.js'
import type { ProductVersion } from '../products/repository.js'
import { pageOffset, pagination, type Pagination } from '../../schemas/pagination.js'
import type { Order, OrderCaps, OrderListQuery, PlaceOrderBody } from '../../schemas/order.js'
import type { StockShortage } from '../../schemas/problem.js'
import * as orders from './repository.js'
import type { LineStock, Viewer } from './repository.js'
import * as customers from './open-units-repository.js'
import * as stock from './stock-repository.js'
import * as idempotency from './idempotency-repository.js'
import type { StoredResponse } from './idempotency-repository.js'
import { assertOpenUnitsWithinCap, assertOrderWithinCap, unitsOf } from './caps.js'

export type { Viewer } from './repository.js'

export interface OrderDeps {
  db: Database
  cache: Cache
}

export interface PlaceOrderDeps extends OrderDeps {
  config: { orderCaps: OrderCaps }
}

export interface PlacedOrder {
  order: Order
  /** True when an Idempotency-Key matched an earlier request and its first response is replayed. */
  replayed: boolean
}

/** What a stock-moving transaction committed: its result and the product versions to invalidate. */
interface StockChange<T> {
  result: T
  written: ProductVersion[]
}

const CREATED = 201

/** What an Idempotency-Key's stored answer is matched against: the same key with another body is refused. */
export function requestHash (body: PlaceOrderBody): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex')
}

function assertDistinctProducts (body: PlaceOrderBody): void {
  const ids = body.items.map((item) => item.productId.toLowerCase())
  if (new Set(ids).size !== ids.length) throw new BadRequestError('Each productId may appear only once in items')
}

/**
 * Turns what the database saw for each line (in the client's order) into the API's answers: unknown or archived
 * products first (422, as the client spelled their ids), then every short line (409 with the shortages).
 */
function assertAvailable (body: PlaceOrderBody, lines: LineStock[]): void {
  const unknown = body.items.filter((_item, index) => lines[index]?.available === undefined).map((item) => item.productId)
  if (unknown.length > 0) {
    throw new UnprocessableError(`Unknown or archived product: ${unknown.join(', ')}`, 'unknown-product')
  }
  const shortages: StockShortage[] = lines.flatMap((line) =>
    line.available !== undefined && line.available < line.requested
      ? [{ productId: line.productId, requested: line.requested, available: line.available }]
      : [])
  if (shortages.length > 0) {
    throw new ConflictError('Not enough stock for some items; nothing was ordered', 'insufficient-stock', { shortages })
  }
}

/** A taken Idempotency-Key: its first answer when the body matches, otherwise why not. */
function replayOf (stored: StoredResponse | undefined, hash: string): PlacedOrder {
  if (stored === undefined || stored.status === null) {
    // Claims and responses commit together, so this only happens if the row was purged in between.
    throw new ConflictError('This Idempotency-Key is being processed; retry shortly', 'idempotency-key-in-use')
  }
  if (stored.requestHash !== hash) {
    throw new UnprocessableError('This Idempotency-Key was already used with a different request body', 'idempotency-key-reused')
  }
  return { order: stored.body as Order, replayed: true }
}

/**
 * Places an order in one database round trip (orders.placeOrder: the place_order function claims the key, locks the
 * customer, checks the stock and the open units, takes the stock and inserts the order and the stored response, or
 * writes nothing and says why). Locks are taken in one order (key, customer, products in id order), so concurrent
 * orders queue, never deadlock, and none is held across a network round trip. The product cache is dropped after
 * the commit, before answering.
 */
export async function placeOrder (
  { db, cache, config }: PlaceOrderDeps, userId: string, body: PlaceOrderBody, idempotencyKey?: string
): Promise<PlacedOrder> {
  assertDistinctProducts(body)
  const hash = requestHash(body)
  const units = unitsOf(body)
  if (units > config.orderCaps.maxUnits) {
    // Caps apply to new orders only: a replay answers what was placed, whatever the caps are now.
    const stored = idempotencyKey === undefined ? undefined : await idempotency.findKey(db, userId, idempotencyKey)
    if (stored !== undefined) return replayOf(stored, hash)
    assertOrderWithinCap(units, config.orderCaps)
  }

  const items = body.items.map((item) => ({ productId: item.productId.toLowerCase(), quantity: item.quantity }))
  const outcome = await orders.placeOrder(db, {
    userId, items, maxOpenUnits: config.orderCaps.maxOpenUnitsPerCustomer, idempotencyKey, requestHash: hash, responseStatus: CREATED
  })
  switch (outcome.kind) {
    case 'replay':
      return replayOf(outcome, hash)
    case 'key-vanished':
      return replayOf(undefined, hash)
    case 'no-customer':
      throw new UnauthorizedError('This account no longer exists')
    case 'refused':
      assertAvailable(body, outcome.lines)
      if (outcome.openUnits !== undefined) assertOpenUnitsWithinCap(outcome.openUnits, units, config.orderCaps)
      throw new Error('the order placement wrote nothing, yet every line and the open units passed')
    case 'placed':
      await forgetProducts(cache, outcome.written)
      return { order: outcome.order, replayed: false }
  }
}

export async function listOrders (
  { db }: OrderDeps, viewer: Viewer, query: OrderListQuery
): Promise<{ data: Order[], pagination: Pagination }> {
  // A customer's userId filter is ignored (documented on the query schema): they only ever see their own.
  const ownerId = viewer.isAdmin ? query.userId : viewer.userId
  const [total, data] = await Promise.all([
    orders.countOrders(db, ownerId),
    orders.findOrders(db, ownerId, query.limit, pageOffset(query))
  ])
  return { data, pagination: pagination(query.page, query.limit, total) }
}

export async function getOrder ({ db }: OrderDeps, viewer: Viewer, id: string): Promise<Order> {
  const order = await orders.findOrder(db, id, viewer)
  if (order === undefined) throw new NotFoundError('Order not found')
  return order
}

/**
 * Cancels a placed order, gives its stock back and frees its units in the same transaction. Locks: the order, its
 * customer, its products in id order; a placement takes customer then products too, so the two never deadlock.
 */
export async function cancelOrder ({ db, cache }: OrderDeps, viewer: Viewer, id: string): Promise<Order> {
  const cancelled = await db.transaction(async (tx): Promise<StockChange<Order>> => {
    // The order row lock makes two concurrent cancellations queue: the second sees 'cancelled' and gets 409.
    const order = await orders.findOrder(tx, id, viewer, true)
    if (order === undefined) throw new NotFoundError('Order not found')
    if (order.status === 'cancelled') throw new ConflictError('The order is already cancelled', 'order-already-cancelled')
    await customers.releaseOpenUnits(tx, order.userId, order.items.reduce((sum, item) => sum + item.quantity, 0))
    const ids = order.items.map((item) => item.productId)
    await stock.lockProductsForRestock(tx, ids)
    const written = await stock.adjustStock(tx, ids, order.items.map((item) => item.quantity))
    return { result: await orders.markCancelled(tx, id), written }
  })
  await forgetProducts(cache, cancelled.written)
  return cancelled.result
}
