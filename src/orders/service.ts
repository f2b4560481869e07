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
import * as customers from './customer-lock-repository.js'
import * as stock from './stock-repository.js'
import * as idempotency from './idempotency-repository.js'
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

function requestHash (body: PlaceOrderBody): string {
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

/**
 * Places an order in one transaction: claim the idempotency key (if any), lock the customer (reading the stock
 * without locks, for an early answer), then one statement that locks the products in id order, checks stock and
 * the customer's open units, takes the stock, inserts the order and stores the response under the key
 * (orders.placeOrder). Any failure rolls all of it back, key claim included, so a retry after a 409/422 is judged
 * afresh. The product cache is dropped after commit, before answering.
 * Locks are always taken in this order (key, customer, products), so concurrent orders queue, never deadlock.
 */
export async function placeOrder (
  { db, cache, config }: PlaceOrderDeps, userId: string, body: PlaceOrderBody, idempotencyKey?: string
): Promise<PlacedOrder> {
  assertDistinctProducts(body)
  const hash = requestHash(body)

  const placed = await db.transaction(async (tx): Promise<StockChange<PlacedOrder>> => {
    if (idempotencyKey !== undefined && !await idempotency.claimKey(tx, userId, idempotencyKey, hash)) {
      const stored = await idempotency.findKey(tx, userId, idempotencyKey)
      if (stored === undefined || stored.status === null) {
        // Claims and responses commit together, so this only happens if the row was purged in between.
        throw new ConflictError('This Idempotency-Key is being processed; retry shortly', 'idempotency-key-in-use')
      }
      if (stored.requestHash !== hash) {
        throw new UnprocessableError('This Idempotency-Key was already used with a different request body', 'idempotency-key-reused')
      }
      return { result: { order: stored.body as Order, replayed: true }, written: [] }
    }

    // Caps apply to new orders only: a replay above answers what was placed, whatever the caps are now.
    const units = unitsOf(body)
    assertOrderWithinCap(units, config.orderCaps)
    const items = body.items.map((item) => ({ productId: item.productId.toLowerCase(), quantity: item.quantity }))
    const peeked = await customers.lockCustomer(tx, userId, items)
    if (peeked === undefined) throw new UnauthorizedError('This account no longer exists')
    assertAvailable(body, peeked)
    const outcome = await orders.placeOrder(tx, {
      userId, items, maxOpenUnits: config.orderCaps.maxOpenUnitsPerCustomer, idempotencyKey, responseStatus: CREATED
    })
    if (outcome.order === undefined) {
      assertAvailable(body, outcome.lines)
      assertOpenUnitsWithinCap(outcome.openUnits, units, config.orderCaps)
      throw new Error('the order placement wrote nothing, yet every line and the open units passed')
    }
    return { result: { order: outcome.order, replayed: false }, written: outcome.written }
  })

  await forgetProducts(cache, placed.written)
  return placed.result
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
