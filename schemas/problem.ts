import { Type, type Static } from '@sinclair/typebox'

export const FieldError = Type.Object({
  field: Type.String({ description: 'JSON pointer to the offending input, prefixed with its part: /body/email, /querystring/limit' }),
  message: Type.String()
}, { $id: 'FieldError', additionalProperties: false })

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
  shortages: Type.Optional(Type.Array(Type.Object({
    productId: Type.String({ format: 'uuid' }),
    requested: Type.Integer(),
    available: Type.Integer()
  }, { additionalProperties: false }), { description: 'Present on 409 insufficient-stock only' }))
}, { $id: 'Problem', additionalProperties: true })
export type ProblemBody = Static<typeof Problem>
