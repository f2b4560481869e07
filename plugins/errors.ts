import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { NotFoundError } from '../src/errors.js'
import { PROBLEM_CONTENT_TYPE, toProblem } from '../src/problem.js'

/** Every error, Fastify's own included, leaves as application/problem+json (RFC 9457). */
async function errorsPlugin (fastify: FastifyInstance) {
  const hideInternals = fastify.config.isProduction

  fastify.setErrorHandler(async (error, request, reply) => {
    const { body, headers } = toProblem(error, request, hideInternals)
    // Expected client errors are info (no alert noise); server errors are error with the cause.
    if (body.status >= 500) {
      request.log.error({ err: error, status: body.status }, 'request failed')
    } else {
      request.log.info({ status: body.status, problem: body.type, detail: body.detail }, 'request rejected')
    }
    return reply.code(body.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(body)
  })
}

/** The not-found handler of every scope (src/app.ts sets them, each behind the per-client rate limit). */
export async function answerNotFound (request: FastifyRequest): Promise<never> {
  throw new NotFoundError(`Route ${request.method} ${request.url.split('?')[0] ?? ''} not found`)
}

export default fp(errorsPlugin, { name: 'errors', dependencies: ['config'] })
