import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../src/errors.js'
import { currentRole } from '../src/users/service.js'
import { assertSessionLive } from '../src/auth/sessions.js'
import { problems } from '../schemas/responses.js'
import type { Role } from '../schemas/user.js'
import { BEARER_SCHEME } from './docs.js'

/**
 * Who may call a route, declared once on the route: `config: { access: 'admin' }`.
 * This plugin turns it into the authentication hook, the role check, and the OpenAPI security + 401/403 entries.
 */
export type Access = 'anyone' | 'signed-in' | 'admin'

export interface AccessTokenClaims {
  sub: string
  role: Role
  jti: string
  /** The session: the refresh-token family this token was issued with; ending it ends the token. */
  sid: string
  iat: number
  exp: number
  iss: string
  aud: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string, role: Role, jti: string, sid: string }
    user: AccessTokenClaims
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
  }
  interface FastifyInstance {
    /** onRequest hook: verifies the bearer token into request.user and checks its session is live, or answers 401. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** preHandler hook factory: 403 unless the caller has one of the roles, in the token and in the database now. */
    authorize: (...roles: Role[]) => (request: FastifyRequest) => Promise<void>
    /** Signs an access token for a user's session; returns it with its lifetime in seconds. */
    issueAccessToken: (user: { id: string, role: Role, sessionId: string }) => { token: string, expiresIn: number }
  }
}

const BEARER = /^Bearer ([A-Za-z0-9\-_.]+)$/

/**
 * Explicit typing (RFC 8725 §3.11): access tokens say what they are, so another kind of JWT signed with the same
 * secret later (an email-verification link, say) can never be replayed as one. "at+jwt" is RFC 9068's media type
 * for JWT access tokens; the generic "JWT" (what every library writes by default) would tell them apart from
 * nothing. fast-jwt compares case-insensitively and also accepts the long form "application/at+jwt" (RFC 7515 §4.1.9).
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/**
 * How far in the future an `iat` may be before the token is refused: our own tokens are never issued ahead of the
 * clock, but replicas' clocks differ by a little. fast-jwt checks exp and nbf, never a future iat.
 */
export const IAT_CLOCK_SKEW_SECONDS = 30
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function authPlugin (fastify: FastifyInstance) {
  const { jwt } = fastify.config
  await fastify.register(fastifyJwt, {
    secret: jwt.secret,
    // fast-jwt's typed options have no `typ`; its header option is spread over the default { typ: 'JWT' }.
    sign: { algorithm: 'HS256', header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE }, iss: jwt.issuer, aud: jwt.audience, expiresIn: `${jwt.accessTokenTtlSeconds}s` },
    // fast-jwt accepts any algorithm, issuer and audience unless pinned (RFC 8725 §2.1; docs/library-defaults.md).
    verify: {
      algorithms: ['HS256'],
      checkTyp: ACCESS_TOKEN_TYPE,
      allowedIss: jwt.issuer,
      allowedAud: jwt.audience,
      // sid: a token that names no session could not be revoked, so it is no token of ours.
      requiredClaims: ['sub', 'role', 'jti', 'sid', 'iat', 'exp', 'iss', 'aud']
    }
  })

  fastify.decorate('issueAccessToken', (user: { id: string, role: Role, sessionId: string }) => ({
    token: fastify.jwt.sign({ sub: user.id, role: user.role, jti: randomUUID(), sid: user.sessionId }),
    expiresIn: jwt.accessTokenTtlSeconds
  }))

  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header === undefined) throw new UnauthorizedError('Missing bearer token')
    if (!BEARER.test(header)) throw new UnauthorizedError('Authorization header must be "Bearer <token>"')
    try {
      await request.jwtVerify()
    } catch {
      // One answer for expired, forged, wrong issuer/audience or alg: the client's remedy is the same.
      throw new UnauthorizedError('Invalid or expired access token')
    }
    // The signature proves who made the token, not that its claims have the shapes the services rely on.
    const { role, sub, sid, iat } = request.user as { role: unknown, sub: unknown, sid: unknown, iat: unknown }
    if ((role !== 'customer' && role !== 'admin') || typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid)) {
      throw new UnauthorizedError('Invalid or expired access token')
    }
    // A token "issued" in the future was minted with a wrong clock or by someone holding the key (RFC 8725 §3.10).
    if (typeof iat !== 'number' || iat > Date.now() / 1000 + IAT_CLOCK_SKEW_SECONDS) {
      throw new UnauthorizedError('Invalid or expired access token')
    }
    // Last, so forged and expired tokens never cost a cache or database read. Logout, a password or role change
    // must end the token now, on every replica, not at its `exp`: 401 `token-revoked`.
    await assertSessionLive(fastify, sid)
  })

  fastify.decorate('authorize', (...roles: Role[]) => async (request: FastifyRequest) => {
    // The claim first: a customer's token never costs a database read.
    if (!roles.includes(request.user.role)) throw new ForbiddenError()
    // The claim is up to ACCESS_TOKEN_TTL old; a demotion must take effect at once, not when the token expires.
    // One primary-key read, on the routes that ask for a role only.
    const current = await currentRole(fastify.db, request.user.sub)
    if (!roles.includes(current)) throw new ForbiddenError('Your role changed since this token was issued; sign in again')
  })

  const adminOnly = fastify.authorize('admin')
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access
    if (access === undefined || access === 'anyone') return
    route.onRequest = [...toArray(route.onRequest), fastify.authenticate]
    if (access === 'admin') route.preHandler = [adminOnly, ...toArray(route.preHandler)]
    const schema = route.schema ?? {}
    route.schema = {
      ...schema,
      security: [{ [BEARER_SCHEME]: [] }],
      // Who may call it, in the document too: clients see it, and the API5 test drives its checks from it.
      ...{ 'x-access': access },
      response: {
        ...problems(401, ...(access === 'admin' ? [403] as const : [])),
        ...(schema.response as Record<string, unknown> | undefined)
      }
    }
  })
}

function toArray<T> (value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

export default fp(authPlugin, { name: 'auth', dependencies: ['config', 'docs', 'database', 'cache'] })

/** @see https://github.com/fastify/fastify-jwt @see https://www.rfc-editor.org/rfc/rfc8725 */
