import { Type, type TObject } from '@sinclair/typebox'

// maxLength: AJV's uuid format also accepts a `urn:uuid:` prefix, which PostgreSQL's uuid type rejects (a 500, not a 400).
export const Uuid = Type.String({ format: 'uuid', maxLength: 36, $id: 'Uuid', description: 'A UUID', examples: ['0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f'] })

export const IdParams = Type.Object({ id: Type.Ref(Uuid) }, { additionalProperties: false })

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' })

/**
 * One string enum (`{ type: 'string', enum: [...] }`): a Union of literals would render as an anyOf of one-value
 * enums, which generated clients turn into odd types and whose error ("must be equal to constant", once per
 * member) never names the allowed values.
 */
export function StringEnum<const T extends readonly string[]> (values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/**
 * The object schema with every property that has a `default` left out of `required`: the server fills it in
 * (AJV useDefaults), so a client may omit it, and the document must say so. The static type keeps the property
 * required, which is what a handler sees after validation.
 */
export function withOptionalDefaults<T extends TObject> (schema: T): T {
  const required = (schema.required ?? []).filter((name) => (schema.properties[name] as { default?: unknown }).default === undefined)
  const { required: _all, ...rest } = schema
  return (required.length > 0 ? { ...rest, required } : rest) as T
}
