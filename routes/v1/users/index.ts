import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UpdateMeBody, UpdateRoleBody, User } from '../../../schemas/user.js'
import { IdParams } from '../../../schemas/common.js'
import { Page, PageQuery } from '../../../schemas/pagination.js'
import { problems } from '../../../schemas/responses.js'
import { changeRole, getOwnAccount, listAccounts, updateOwnAccount } from '../../../src/users/service.js'
import { forbidStoring } from '../../../src/no-store.js'

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  // Accounts are personal data: never stored by a cache.
  fastify.addHook('onSend', forbidStoring)

  fastify.get('/me', {
    config: { access: 'signed-in' },
    schema: { tags: ['users'], summary: 'The signed-in account', response: { 200: Type.Ref(User), ...problems() } }
  }, async (request) => getOwnAccount(fastify, request.user.sub))

  fastify.patch('/me', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['users'],
      summary: 'Change own name or password (a new password needs currentPassword and signs out every session)',
      body: UpdateMeBody,
      response: { 200: Type.Ref(User), ...problems(400, [403, 'currentPassword is wrong'], [429, 'Too many wrong currentPassword or sign-in attempts, or requests; see retry-after']) }
    }
  }, async (request) => updateOwnAccount(fastify, { id: request.user.sub, ip: request.ip }, request.body))

  fastify.get('/', {
    config: { access: 'admin' },
    schema: {
      tags: ['users'],
      summary: 'All accounts, newest first',
      querystring: PageQuery,
      response: { 200: Page(Type.Ref(User)), ...problems(400) }
    }
  }, async (request) => listAccounts(fastify, request.query.page, request.query.limit))

  fastify.patch('/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['users'],
      summary: 'Change another account\'s role (ends that account\'s sessions)',
      params: IdParams,
      body: UpdateRoleBody,
      response: { 200: Type.Ref(User), ...problems(400, [403, 'The caller is not an admin (any more), or names their own account'], 404) }
    }
  }, async (request) => changeRole(fastify, request.user.sub, request.params.id, request.body.role))
}

export default users
