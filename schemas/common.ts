import { Type } from '@sinclair/typebox'

// maxLength: AJV's uuid format also accepts a `urn:uuid:` prefix, which PostgreSQL's uuid type rejects (a 500, not a 400).
export const Uuid = Type.String({ format: 'uuid', maxLength: 36, $id: 'Uuid', description: 'A UUID', examples: ['0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f'] })

export const IdParams = Type.Object({ id: Type.Ref(Uuid) }, { additionalProperties: false })

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' })
