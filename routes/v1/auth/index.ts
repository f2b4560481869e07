import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LoginBody, RefreshTokenBody, RegisterBody, Tokens } from '../../../schemas/auth.js'
import { User } from '../../../schemas/user.js'
import { problems } from '../../../schemas/responses.js'
import { registerUser } from '../../../src/users/service.js'
import { login, logout, refresh } from '../../../src/auth/service.js'

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  // Stricter per-IP limit than the rest of /v1: these routes are what credential stuffing aims at.
  const rateLimit = { max: fastify.config.rateLimit.authMax, timeWindow: 60_000 }

  fastify.post('/register', {
    config: { rateLimit },
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
    config: { rateLimit },
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password',
      body: LoginBody,
      response: { 200: Type.Ref(Tokens), ...problems(400, [401, 'Email or password is wrong']) }
    }
  }, async (request) => login(fastify, { ...request.body, ip: request.ip }))

  fastify.post('/refresh', {
    config: { rateLimit },
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for new tokens (the presented one is used up)',
      body: RefreshTokenBody,
      response: { 200: Type.Ref(Tokens), ...problems(400, [401, 'Refresh token invalid, expired, revoked or reused']) }
    }
  }, async (request) => refresh(fastify, request.body.refreshToken))

  fastify.post('/logout', {
    config: { rateLimit },
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
