import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UpdateMeBody, UpdateUserBody, User } from '../../../schemas/user.js'
import { IdParams } from '../../../schemas/common.js'
import { Page, PageQuery } from '../../../schemas/pagination.js'
import { problems, success } from '../../../schemas/responses.js'
import { changeAccount, getOwnAccount, listAccounts, updateOwnAccount } from '../../../src/users/service.js'
import { forbidStoring } from '../../../src/no-store.js'

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  // Accounts are personal data: never stored by a cache.
  fastify.addHook('onSend', forbidStoring)

  fastify.get('/me', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['users'],
      summary: 'The signed-in account',
      description: 'The account of the access token, as stored now (a role changed since the token was issued shows here).',
      response: { 200: success(Type.Ref(User), 'Your account'), ...problems() }
    }
  }, async (request) => getOwnAccount(fastify, request.user.sub))

  fastify.patch('/me', {
    config: { access: 'signed-in' },
    schema: {
      tags: ['users'],
      summary: 'Change own name or password (a new password needs currentPassword and signs out every session)',
      description: 'Send at least one field. A new password must pass the policy and comes with currentPassword; it ' +
        'revokes every refresh token of the account.',
      body: UpdateMeBody,
      response: {
        200: success(Type.Ref(User), 'Your account as changed'),
        ...problems(
          [400, 'A field is invalid, the new password is too weak, or currentPassword came without password', ['validation', 'weak-password', 'bad-request']],
          [403, 'currentPassword is wrong'],
          [429, 'Too many wrong currentPassword or sign-in attempts, or requests; see retry-after', ['rate-limited', 'too-many-login-attempts']],
          [503, 'Too many password hashes waiting, overloaded, or a dependency is down; see retry-after', ['auth-busy', 'service-unavailable']]
        )
      }
    }
  }, async (request) => updateOwnAccount(fastify, { id: request.user.sub, ip: request.ip }, request.body))

  fastify.get('/', {
    config: { access: 'admin' },
    schema: {
      tags: ['users'],
      summary: 'All accounts, newest first',
      description: 'Paged like every collection: page and limit are optional (1 and 20).',
      querystring: PageQuery,
      response: { 200: success(Page(Type.Ref(User)), 'One page of accounts and where it lies in the whole list'), ...problems(400) }
    }
  }, async (request) => listAccounts(fastify, request.query.page, request.query.limit))

  fastify.patch('/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['users'],
      summary: 'Change another account\'s role or disable/enable it (a new role or disabling ends that account\'s sessions)',
      description: 'Send at least one of role and disabled. A new role, or disabled: true, revokes every refresh token of ' +
        'that account and ends its access tokens at once (401 token-revoked); a disabled account cannot sign in (401, ' +
        'as for a wrong password) or refresh until enabled again with disabled: false. No admin changes their own role ' +
        'or disables their own account.',
      params: IdParams,
      body: UpdateUserBody,
      response: {
        200: success(Type.Ref(User), 'The account as changed'),
        ...problems(400, [403, 'The caller is not an admin (any more), or names their own account', ['forbidden', 'own-role-change', 'own-account-disable']], 404)
      }
    }
  }, async (request) => changeAccount(fastify, request.user.sub, request.params.id, request.body))
}

export default users
