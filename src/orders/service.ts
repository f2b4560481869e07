import { createHash } from 'node:crypto'
import type { Cache } from '../cache/types.js'
import type { Database } from '../database/types.js'
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from '../errors.js'
import { forgetProducts } from '../products/cache.js'
import type { ProductVersion } from '../products/repository.js'
import { pageOffset, pagination, type Pagination } from '../../schemas/pagination.js'
import type { Order, OrderCaps, OrderListQuery, PlaceOrderBody } from '../../schemas/order.js'
import type { StockShortage } from '../../schemas/problem.js'
import * as orders from './repository.js'
import type { NewOrderLine, Viewer } from './repository.js'
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

/** Checks every line against the locked rows and turns them into priced order lines, in the client's order. */
function priceLines (body: PlaceOrderBody, locked: stock.LockedProduct[]): NewOrderLine[] {
  const byId = new Map(locked.map((product) => [product.id, product]))
  const unknown = body.items.filter((item) => !byId.has(item.productId.toLowerCase())).map((item) => item.productId)
  if (unknown.length > 0) {
    throw new UnprocessableError(`Unknown or archived product: ${unknown.join(', ')}`, 'unknown-product')
  }
  const shortages: StockShortage[] = []
  const lines = body.items.map((item) => {
    const product = byId.get(item.productId.toLowerCase()) as stock.LockedProduct
    if (product.stock < item.quantity) shortages.push({ productId: product.id, requested: item.quantity, available: product.stock })
    return { productId: product.id, sku: product.sku, name: product.name, quantity: item.quantity, unitPriceCents: product.priceCents }
  })
  if (shortages.length > 0) {
    throw new ConflictError('Not enough stock for some items; nothing was ordered', 'insufficient-stock', { shortages })
  }
  return lines
}

/**
 * Places an order in one transaction: claim the idempotency key (if any), check the order against the caps
 * (the customer's open units under a lock on the customer), lock the products in id order, check stock,
 * decrement, insert the order. Any failure rolls all of it back, key claim included, so a retry after a
 * 409/422 is judged afresh. The product cache is dropped after commit, before answering.
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
    const ids = [...new Set(body.items.map((item) => item.productId.toLowerCase()))]
    // Check once without locks first: when a hot product has sold out, the losers answer 409 at once instead of
    // queueing for its row lock (and for pool connections). The locked check below is the one that counts.
    priceLines(body, await stock.readLiveProducts(tx, ids))
    await assertOpenUnitsWithinCap(tx, userId, units, config.orderCaps)
    const lines = priceLines(body, await stock.lockLiveProducts(tx, ids))
    const written = await stock.adjustStock(tx, lines.map((line) => line.productId), lines.map((line) => -line.quantity))
    const order = await orders.insertOrder(tx, userId, lines)
    if (idempotencyKey !== undefined) await idempotency.storeResponse(tx, userId, idempotencyKey, CREATED, order)
    return { result: { order, replayed: false }, written }
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

/** Cancels a placed order and gives its stock back in the same transaction. */
export async function cancelOrder ({ db, cache }: OrderDeps, viewer: Viewer, id: string): Promise<Order> {
  const cancelled = await db.transaction(async (tx): Promise<StockChange<Order>> => {
    // The order row lock makes two concurrent cancellations queue: the second sees 'cancelled' and gets 409.
    const order = await orders.findOrder(tx, id, viewer, true)
    if (order === undefined) throw new NotFoundError('Order not found')
    if (order.status === 'cancelled') throw new ConflictError('The order is already cancelled', 'order-already-cancelled')
    const ids = order.items.map((item) => item.productId)
    await stock.lockProductsForRestock(tx, ids)
    const written = await stock.adjustStock(tx, ids, order.items.map((item) => item.quantity))
    return { result: await orders.markCancelled(tx, id), written }
  })
  await forgetProducts(cache, cancelled.written)
  return cancelled.result
}
