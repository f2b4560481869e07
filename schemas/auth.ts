import { Type } from '@sinclair/typebox'
import { Email, Name, Password, User } from './user.js'

/** The one authentication scheme: `Authorization: Bearer <accessToken>`, and the challenge of every 401. */
export const AUTH_SCHEME = 'Bearer'

/** Swagger UI prefills this: a visible placeholder, never a real or famous passphrase a user might keep. */
const EXAMPLE_PASSWORD = 'choose-your-own-passphrase'

export const RegisterBody = Type.Object({ email: Email, password: Password, name: Name }, {
  additionalProperties: false,
  examples: [{ email: 'ada@example.com', password: EXAMPLE_PASSWORD, name: 'Ada Lovelace' }]
})

// Login does not re-check the password policy: a policy change must not lock out existing accounts.
export const LoginBody = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false, examples: [{ email: 'ada@example.com', password: EXAMPLE_PASSWORD }] })

export const RefreshTokenBody = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 256, description: 'The refreshToken of the last login or refresh' })
}, { additionalProperties: false, examples: [{ refreshToken: 'paste the refreshToken of your last login or refresh' }] })

export const Tokens = Type.Object({
  accessToken: Type.String({ description: 'JWT for Authorization: Bearer' }),
  refreshToken: Type.String({ description: 'Opaque; single use; exchange at POST /v1/auth/refresh' }),
  tokenType: Type.Literal(AUTH_SCHEME),
  expiresIn: Type.Integer({ minimum: 1, description: 'Access token lifetime in seconds' }),
  user: Type.Ref(User)
}, { $id: 'Tokens', additionalProperties: false })
