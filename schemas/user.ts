import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Timestamp, Uuid } from './common.js'

export const Role = StringEnum(['customer', 'admin'], { description: 'customer or admin' })
export type Role = Static<typeof Role>

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'Stored lower-cased; unique regardless of case', examples: ['ada@example.com'] })
export const Password = Type.String({
  minLength: 8,
  maxLength: 128,
  description: '8–128 characters; at least 8 after Unicode NFKC normalisation without invisible characters or outer spaces, and not one of the most common passwords (else 400 weak-password)'
})
export const Name = Type.String({ minLength: 1, maxLength: 100 })

/** What a client may see of an account; the response is serialized from this, so a hash cannot leak. */
export const User = Type.Object({
  id: Type.Ref(Uuid),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  disabled: Type.Boolean({ description: 'An admin disabled the account: it cannot sign in or refresh, and its sessions ended when it was disabled' }),
  createdAt: Timestamp
}, { $id: 'User', additionalProperties: false })
export type User = Static<typeof User>

export const UpdateMeBody = Type.Object({
  name: Type.Optional(Name),
  password: Type.Optional(Password),
  currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Required with password' }))
}, { additionalProperties: false, minProperties: 1, examples: [{ name: 'Ada King' }] })
export type UpdateMeBody = Static<typeof UpdateMeBody>

/** Admin changes to another account: at least one of role and disabled. */
export const UpdateUserBody = Type.Object({
  role: Type.Optional(Role),
  disabled: Type.Optional(Type.Boolean({ description: 'true disables the account and ends all its sessions at once; false enables it again' }))
}, { additionalProperties: false, minProperties: 1, examples: [{ role: 'admin' }] })
export type UpdateUserBody = Static<typeof UpdateUserBody>
