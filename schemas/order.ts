import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from './common.js'
import { PageQueryFields } from './pagination.js'

export const MAX_ORDER_LINES = 50
export const MAX_LINE_QUANTITY = 1000

export const OrderItem = Type.Object({
  productId: Type.Ref(Uuid),
  sku: Type.String({ description: 'As it was when the order was placed' }),
  name: Type.String({ description: 'As it was when the order was placed' }),
  quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  unitPriceCents: Type.Integer({ minimum: 0, description: 'Price captured from the catalog at purchase' }),
  lineTotalCents: Type.Integer({ minimum: 0 })
}, { $id: 'OrderItem', additionalProperties: false })
export type OrderItem = Static<typeof OrderItem>

export const OrderStatus = Type.Union([Type.Literal('placed'), Type.Literal('cancelled')])
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

export const OrderLineRequest = Type.Object({
  productId: Type.Ref(Uuid),
  quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY })
}, { additionalProperties: false })

export const PlaceOrderBody = Type.Object({
  items: Type.Array(OrderLineRequest, { minItems: 1, maxItems: MAX_ORDER_LINES, description: 'Distinct productIds; prices come from the catalog' })
}, { additionalProperties: false })
export type PlaceOrderBody = Static<typeof PlaceOrderBody>

export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: '^[\\x20-\\x7E]{1,255}$',
    maxLength: 255,
    description: 'Printable ASCII, 1–255 chars. The same key and body from the same user replays the first 201 ' +
      '(header idempotent-replayed: true) and places nothing new; the same key with another body is 422. ' +
      'Failed attempts are not stored, so a retry after a 409 or 422 is evaluated afresh. Kept at least 24 h.'
  }))
})

export const OrderListQuery = Type.Object({
  ...PageQueryFields,
  userId: Type.Optional(Type.Ref(Uuid, {
    description: 'Admins only: orders of this user. Ignored for customers, who always see only their own orders.'
  }))
}, { additionalProperties: false })
export type OrderListQuery = Static<typeof OrderListQuery>
