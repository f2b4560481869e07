import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LoginBody, RefreshTokenBody, RegisterBody, Tokens } from '../../../schemas/auth.js'
import { User } from '../../../schemas/user.js'
import { problems } from '../../../schemas/responses.js'
import { registerUser } from '../../../src/users/service.js'
import { login, logout, refresh } from '../../../src/auth/service.js'
import { forbidStoring } from '../../../src/no-store.js'

const AUTH_RATE_WINDOW_MS = 60_000

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  // Token responses (RFC 6749 §5.1) and the accounts they are for: never stored by a cache.
  fastify.addHook('onSend', forbidStoring)

  // A stricter per-IP limit on top of the /v1 one: these routes are what credential stuffing aims at. A hook of
  // this plugin, so it belongs to these routes whatever spelling of their path a client sends.
  fastify.addHook('onRequest', fastify.extraRateLimit({
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
      body: RegisterBody,
      response: { 201: Type.Ref(User), ...problems(400, [409, 'Email taken']) }
    }
  }, async (request, reply) => {
    const user = await registerUser(fastify, request.body)
    return reply.code(201).send(user)
  })

  fastify.post('/login', {
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password',
      body: LoginBody,
      response: { 200: Type.Ref(Tokens), ...problems(400, [401, 'Email or password is wrong']) }
    }
  }, async (request) => login(fastify, { ...request.body, ip: request.ip }))

  fastify.post('/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for new tokens (the presented one is used up)',
      body: RefreshTokenBody,
      response: { 200: Type.Ref(Tokens), ...problems(400, [401, 'Refresh token invalid, expired, revoked or reused']) }
    }
  }, async (request) => refresh(fastify, request.body.refreshToken))

  fastify.post('/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End the session of a refresh token (idempotent)',
      body: RefreshTokenBody,
      response: { 204: Type.Null({ description: 'Signed out' }), ...problems(400) }
    }
  }, async (request, reply) => {
    await logout(fastify, request.body.refreshToken)
    return reply.code(204).send(null)
  })
}

export default auth
