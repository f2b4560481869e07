import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MethodNotAllowedError, NotFoundError } from '../src/errors.js'
import { toProblem } from '../src/problem.js'
import { PROBLEM_CONTENT_TYPE } from '../schemas/problem.js'
import { RouteMethods } from '../src/route-methods.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Methods some route serves at this request path (sorted); empty when no route has the path. */
    allowedMethods: (path: string) => string[]
  }
}

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

  // Registered before any route (src/app.ts), so this root-level hook sees every one of them.
  const routes = new RouteMethods()
  fastify.addHook('onRoute', (route) => { routes.add(route.method, route.url) })
  fastify.decorate('allowedMethods', (path: string) => routes.allowed(path))
}

/**
 * The not-found handler of every scope (src/app.ts sets them, each behind the per-client rate limit): a path
 * some route serves with other methods is a 405 with `Allow`, anything else a 404.
 */
export async function answerNotFound (request: FastifyRequest): Promise<never> {
  const path = request.url.split('?')[0] ?? ''
  const allowed = request.server.allowedMethods(path)
  if (allowed.length > 0) throw new MethodNotAllowedError(request.method, allowed)
  throw new NotFoundError(`Route ${request.method} ${path} not found`)
}

export default fp(errorsPlugin, { name: 'errors', dependencies: ['config'] })
