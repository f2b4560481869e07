import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { IdParams } from '../../../schemas/common.js'
import { Order, OrderListQuery, PlaceOrderHeaders, placeOrderBody } from '../../../schemas/order.js'
import { Page } from '../../../schemas/pagination.js'
import { problems } from '../../../schemas/responses.js'
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
      headers: PlaceOrderHeaders,
      // OWASP API6 caps, from the configuration: admins placing orders meet the same ones.
      body: placeOrderBody(fastify.config.orderCaps),
      response: {
        201: OrderRef,
        ...problems(
          400,
          415,
          [409, 'Insufficient stock (shortages lists each short line), or open-units-exceeded: your placed orders ' +
            'and this one would hold more than maxOpenUnits units; nothing was ordered'],
          [422, 'Unknown or archived product, an Idempotency-Key reused with another body, or order-too-large: ' +
            'more than maxUnits units in one order']
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
      querystring: OrderListQuery,
      response: { 200: Page(OrderRef), ...problems(400) }
    }
  }, async (request) => listOrders(fastify, viewerOf(request), request.query))

  fastify.get('/:id', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['orders'],
      summary: "Read one order (owner or admin; another user's order is a 404)",
      params: IdParams,
      response: { 200: OrderRef, ...problems(400, 404) }
    }
  }, async (request) => getOrder(fastify, viewerOf(request), request.params.id))

  fastify.post('/:id/cancel', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['orders'],
      summary: 'Cancel a placed order and give its stock back (owner or admin)',
      params: IdParams,
      response: { 200: OrderRef, ...problems(400, 404, [409, 'The order is already cancelled']) }
    }
  }, async (request) => cancelOrder(fastify, viewerOf(request), request.params.id))
}

export default orderRoutes
