import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Timestamp, Uuid, withOptionalDefaults } from './common.js'
import { PageQueryFields } from './pagination.js'

/**
 * Hard ceilings: the database CHECK allows 1–1000 units per line, and totals are sized for 50 such lines.
 * The limits a request meets are the configured caps below them (ORDER_MAX_LINES, ORDER_MAX_UNITS_PER_LINE).
 */
export const MAX_ORDER_LINES = 50
export const MAX_LINE_QUANTITY = 1000

/** OWASP API6 caps (src/config.ts reads them from the environment): how much stock orders may reserve. */
export interface OrderCaps {
  /** Request schema limits, so they appear in the OpenAPI document. */
  maxUnitsPerLine: number
  maxLines: number
  /** Units in one order, all lines together. */
  maxUnits: number
  /** Units in one customer's placed (not cancelled) orders, the new order included. */
  maxOpenUnitsPerCustomer: number
}

export const OrderItem = Type.Object({
  productId: Type.Ref(Uuid),
  sku: Type.String({ description: 'As it was when the order was placed' }),
  name: Type.String({ description: 'As it was when the order was placed' }),
  // The ceiling, not today's cap: an order placed before a cap was lowered keeps its quantities.
  quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  unitPriceCents: Type.Integer({ minimum: 0, description: 'Price captured from the catalog at purchase' }),
  lineTotalCents: Type.Integer({ minimum: 0 })
}, { $id: 'OrderItem', additionalProperties: false })
export type OrderItem = Static<typeof OrderItem>

export const OrderStatus = StringEnum(['placed', 'cancelled'])
export type OrderStatus = Static<typeof OrderStatus>

export const Order = Type.Object({
  id: Type.Ref(Uuid),
  userId: Type.Ref(Uuid),
  status: OrderStatus,
  items: Type.Array(Type.Ref(OrderItem)),
  totalCents: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { $id: 'Order', additionalProperties: false })
export type Order = Static<typeof Order>

/**
 * The request body of POST /v1/orders, built at boot from the configured caps: the per-line and line-count caps are
 * schema limits, so clients read them in the OpenAPI document; the two sums are checked by the order service.
 */
export function placeOrderBody (caps: OrderCaps) {
  const line = Type.Object({
    productId: Type.Ref(Uuid),
    quantity: Type.Integer({ minimum: 1, maximum: caps.maxUnitsPerLine })
  }, { additionalProperties: false })
  return Type.Object({
    items: Type.Array(line, {
      minItems: 1,
      maxItems: caps.maxLines,
      description: 'Distinct productIds; prices come from the catalog. ' +
        `At most ${caps.maxUnits} units in all (else 422 order-too-large), and at most ` +
        `${caps.maxOpenUnitsPerCustomer} units in your placed, not cancelled, orders together with this one ` +
        '(else 409 open-units-exceeded; cancelling an order frees its units).'
    })
  }, {
    additionalProperties: false,
    examples: [{ items: [{ productId: '0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f', quantity: 2 }, { productId: '3f1e2d4c-6b5a-4e7f-8a9b-0c1d2e3f4a5b', quantity: 1 }] }]
  })
}
export type PlaceOrderBody = Static<ReturnType<typeof placeOrderBody>>

export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: '^[\\x20-\\x7E]{1,255}$',
    maxLength: 255,
    description: 'Printable ASCII, 1–255 chars. The same key and body from the same user replays the first 201 ' +
      '(header idempotent-replayed: true) and places nothing new; the same key with another body is 422. ' +
      'Failed attempts are not stored, so a retry after a 409 or 422 is evaluated afresh. Kept at least 24 h.'
  }))
})

export const OrderListQuery = withOptionalDefaults(Type.Object({
  ...PageQueryFields,
  userId: Type.Optional(Type.Ref(Uuid, {
    description: 'Admins only: orders of this user. Ignored for customers, who always see only their own orders.'
  }))
}, { additionalProperties: false }))
export type OrderListQuery = Static<typeof OrderListQuery>
