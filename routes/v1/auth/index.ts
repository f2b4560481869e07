import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LoginBody, RefreshTokenBody, RegisterBody, Tokens } from '../../../schemas/auth.js'
import { User } from '../../../schemas/user.js'
import { problems, success } from '../../../schemas/responses.js'
import { registerUser } from '../../../src/users/service.js'
import { login, logout, refresh } from '../../../src/auth/service.js'
import { forbidStoring } from '../../../src/no-store.js'

const AUTH_RATE_WINDOW_MS = 60_000

/** Routes that hash a password can also be refused while too many hashes wait for a slot. */
const BUSY: [503, string, ['auth-busy', 'service-unavailable']] = [503, 'Too many password hashes waiting, overloaded, or a dependency is down; see retry-after', ['auth-busy', 'service-unavailable']]

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  // Token responses (RFC 6749 §5.1) and the accounts they are for: never stored by a cache.
  fastify.addHook('onSend', forbidStoring)

  // A stricter per-IP limit on top of the /v1 one: these routes are what credential stuffing aims at. A hook of
  // this plugin, so it belongs to these routes whatever spelling of their path a client sends.
  fastify.addHook('onRequest', fastify.extraRateLimit({
    policy: 'auth',
    max: fastify.config.rateLimit.authMax,
    timeWindowMs: AUTH_RATE_WINDOW_MS,
    key: (request) => request.ip,
    slug: 'rate-limited',
    detail: `At most ${fastify.config.rateLimit.authMax} sign-in, sign-up, refresh or sign-out requests per minute per client; retry later`
  }))

  fastify.post('/register', {
    schema: {
      tags: ['auth'],
      summary: 'Create a customer account',
      description: 'Every new account is a customer. The email is stored lower-cased and is unique regardless of case; ' +
        'the password must pass the policy (weak-password otherwise). Sign in afterwards to get tokens.',
      body: RegisterBody,
      response: {
        201: success(Type.Ref(User), 'The new account'),
        ...problems([400, 'A field is invalid, or the password is too weak', ['validation', 'weak-password']], [409, 'Email taken', ['email-taken']], BUSY)
      }
    }
  }, async (request, reply) => {
    const user = await registerUser(fastify, request.body)
    return reply.code(201).send(user)
  })

  fastify.post('/login', {
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password',
      description: 'Answers a short-lived access token (send it as Authorization: Bearer) and a single-use refresh ' +
        'token. A wrong email and a wrong password get the same 401; five wrong passwords for one account from one ' +
        'client within 15 minutes lock that pair out for a while (429).',
      body: LoginBody,
      response: {
        200: success(Type.Ref(Tokens), 'Signed in'),
        ...problems(400, [401, 'Email or password is wrong'], [429, 'Too many requests, or too many wrong passwords for this account; see retry-after', ['rate-limited', 'too-many-login-attempts']], BUSY)
      }
    }
  }, async (request) => login(fastify, { ...request.body, ip: request.ip }))

  fastify.post('/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for new tokens (the presented one is used up)',
      description: 'Presenting a refresh token that was already used answers 401 and revokes the whole sign-in it ' +
        'belongs to, its newest token included.',
      body: RefreshTokenBody,
      response: { 200: success(Type.Ref(Tokens), 'New tokens'), ...problems(400, [401, 'Refresh token invalid, expired, revoked or reused']) }
    }
  }, async (request) => refresh(fastify, request.body.refreshToken))

  fastify.post('/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End the session of a refresh token (idempotent)',
      description: 'Revokes the sign-in the refresh token belongs to. Access tokens already issued stay valid until they expire.',
      body: RefreshTokenBody,
      response: { 204: Type.Null({ description: 'Signed out' }), ...problems(400) }
    }
  }, async (request, reply) => {
    await logout(fastify, request.body.refreshToken)
    return reply.code(204).send(null)
  })
}

export default auth
