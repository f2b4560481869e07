import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { IdParams } from '../../../schemas/common.js'
import { Order, OrderListQuery, PlaceOrderHeaders, placeOrderBody } from '../../../schemas/order.js'
import { Page } from '../../../schemas/pagination.js'
import { problems, success } from '../../../schemas/responses.js'
import { cancelOrder, getOrder, listOrders, placeOrder, type Viewer } from '../../../src/orders/service.js'
import { forbidStoring } from '../../../src/no-store.js'

const OrderRef = Type.Ref(Order)
const ORDER_RATE_WINDOW_MS = 60_000

function viewerOf (request: FastifyRequest): Viewer {
  return { userId: request.user.sub, isAdmin: request.user.role === 'admin' }
}

const orderRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  // Orders are personal data: never stored by a cache.
  fastify.addHook('onSend', forbidStoring)

  // OWASP API6: placing an order reserves stock, so one account must not hoard it by ordering in a loop.
  // Per user, on top of the per-IP limit every /v1 route has; attempts that fail validation do not count.
  const ordersPerUser = fastify.extraRateLimit({
    policy: 'orders',
    max: fastify.config.rateLimit.orderMax,
    timeWindowMs: ORDER_RATE_WINDOW_MS,
    key: (request) => request.user.sub,
    slug: 'order-rate-limited',
    detail: `At most ${fastify.config.rateLimit.orderMax} orders per minute per account; retry later`
  })

  fastify.post('/', {
    config: { access: 'signed-in' },
    preHandler: ordersPerUser,
    schema: {
      tags: ['orders'],
      summary: 'Place an order: reserves stock for every line in one transaction, or nothing',
      description: 'Prices come from the catalog, never from the request. Send an Idempotency-Key to retry safely: ' +
        'the same key and body answer the first 201 again (idempotent-replayed: true) and place nothing new.',
      headers: PlaceOrderHeaders,
      // OWASP API6 caps, from the configuration: admins placing orders meet the same ones.
      body: placeOrderBody(fastify.config.orderCaps),
      response: {
        201: success(OrderRef, 'Placed (or, with idempotent-replayed: true, the first answer to this Idempotency-Key)', ['Location', 'Idempotent-Replayed']),
        ...problems(
          [400, 'A field is invalid, or two lines name the same product', ['validation', 'bad-request']],
          415,
          [409, 'Insufficient stock (shortages lists each short line), or open-units-exceeded: your placed orders ' +
            'and this one would hold more than maxOpenUnits units; nothing was ordered. Or the Idempotency-Key is ' +
            'being processed by another request', ['insufficient-stock', 'open-units-exceeded', 'idempotency-key-in-use']],
          [422, 'Unknown or archived product, an Idempotency-Key reused with another body, or order-too-large: ' +
            'more than maxUnits units in one order', ['unknown-product', 'idempotency-key-reused', 'order-too-large']],
          [429, 'Too many requests from this client, or too many orders from this account; see retry-after', ['rate-limited', 'order-rate-limited']]
        )
      }
    }
  }, async (request, reply) => {
    const { order, replayed } = await placeOrder(fastify, request.user.sub, request.body, request.headers['idempotency-key'])
    reply.header('location', `/v1/orders/${order.id}`)
    if (replayed) reply.header('idempotent-replayed', 'true')
    // Only successful placements are stored for replay, so a replay is a 201 as well.
    return reply.code(201).send(order)
  })

  fastify.get('/', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['orders'],
      summary: 'List orders, newest first: your own; admins see all (optional userId filter)',
      description: 'A customer always gets their own orders, whatever userId says; an admin gets everyone\'s, or one user\'s with userId.',
      querystring: OrderListQuery,
      response: { 200: success(Page(OrderRef), 'One page of orders and where it lies in the whole list'), ...problems(400) }
    }
  }, async (request) => listOrders(fastify, viewerOf(request), request.query))

  fastify.get('/:id', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['orders'],
      summary: "Read one order (owner or admin; another user's order is a 404)",
      description: 'Lines show sku, name and prices as they were when the order was placed.',
      params: IdParams,
      response: { 200: success(OrderRef, 'The order'), ...problems(400, 404) }
    }
  }, async (request) => getOrder(fastify, viewerOf(request), request.params.id))

  fastify.post('/:id/cancel', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['orders'],
      summary: 'Cancel a placed order and give its stock back (owner or admin)',
      description: 'Stock returns to every product of the order in one transaction; the units stop counting against the account\'s open-units cap.',
      params: IdParams,
      response: { 200: success(OrderRef, 'The order, now cancelled'), ...problems(400, 404, [409, 'The order is already cancelled', ['order-already-cancelled']]) }
    }
  }, async (request) => cancelOrder(fastify, viewerOf(request), request.params.id))
}

export default orderRoutes
