import { Type, type Static } from '@sinclair/typebox'

/** Every problem `type` URI is this plus the problem's slug (src/errors.ts, schemas/problem-examples.ts). */
export const PROBLEM_TYPE_BASE = 'https://fastify-shop-api.example/problems/'

/** The media type of every error answer (RFC 9457 §3): the document's content key, and the served content-type below. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'
export const PROBLEM_CONTENT_TYPE = `${PROBLEM_MEDIA_TYPE}; charset=utf-8`

export const FieldError = Type.Object({
  field: Type.String({ description: 'JSON pointer to the offending input, prefixed with its part: /body/email, /querystring/limit' }),
  message: Type.String()
}, { $id: 'FieldError', additionalProperties: false })

/** One line of an order that wants more than is in stock (409 insufficient-stock). */
export const StockShortage = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  requested: Type.Integer(),
  available: Type.Integer()
}, { additionalProperties: false })
export type StockShortage = Static<typeof StockShortage>

/** RFC 9457 problem details, the body of every 4xx and 5xx. */
export const Problem = Type.Object({
  type: Type.String({ format: 'uri', description: 'Identifies the kind of problem; stable for clients to branch on' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String({ description: 'The request path' })),
  requestId: Type.Optional(Type.String()),
  traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'The W3C trace id of this request; present only when the server traces (OpenTelemetry)' })),
  errors: Type.Optional(Type.Array(Type.Ref(FieldError), { description: 'Present on validation failures only' })),
  shortages: Type.Optional(Type.Array(StockShortage, { description: 'Present on 409 insufficient-stock only' }))
}, { $id: 'Problem', additionalProperties: true })
export type ProblemBody = Static<typeof Problem>
