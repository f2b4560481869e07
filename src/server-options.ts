import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyHttpOptions, FastifyReply } from 'fastify'
import type { Server } from 'node:http'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'
import { loggerOptions, usesPrettyLogs } from './logger.js'
import { requestLogController } from './request-log.js'
import { validatorCompilerFactory } from './validation.js'
import { BadRequestError } from './errors.js'
import { toProblem } from './problem.js'
import { PROBLEM_CONTENT_TYPE } from '../schemas/problem.js'
import { REQUEST_ID_PATTERN } from '../schemas/headers.js'
import { answerClientError } from './client-error.js'
import { tracingOn } from './tracing.js'

export const BODY_LIMIT_BYTES = 1024 * 1024
/** Above common load balancers' idle timeout (AWS ALB: 60 s) so they never reuse a socket we closed. */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000
export const HEADERS_TIMEOUT_MS = 10_000
export const PLUGIN_TIMEOUT_MS = 60_000

const SANE_REQUEST_ID = new RegExp(REQUEST_ID_PATTERN)

/** Keeps a caller's correlation id when it is a sane token, otherwise makes one (docs/api.md, conventions). */
export function requestIdFor (request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/** The Fastify options production uses; tests pass the same ones through buildApp. */
export function serverOptions (config: Config, logStream?: DestinationStream): FastifyHttpOptions<Server> {
  return {
    logger: loggerOptions(config, logStream),
    genReqId: requestIdFor,
    logController: requestLogController(usesPrettyLogs(config), tracingOn()),
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Node checks this on an interval (~30 s granularity); it cuts off clients that send their headers slowly.
    // REQUEST_TIMEOUT_MS itself is applied by plugins/request-deadline.ts: Node's requestTimeout did not end a
    // trickled body (and Fastify sets it from its own top-level option, overriding one given here).
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs) },
    clientErrorHandler: answerClientError,
    // A request that arrives on an already-open keep-alive socket after close() began is served (with
    // `connection: close`) rather than refused: the database and Redis stay open until the drain ends, and
    // Fastify's own refusal would be a plain-JSON 503, not a problem. New connections are refused by close().
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // A first boot of embedded PGlite runs initdb in WASM (seconds, more on a busy machine) before migrating.
    pluginTimeout: PLUGIN_TIMEOUT_MS,
    // The wrapped validators carry only what Fastify reads (the call and `errors`), not all of AJV's fields.
    // Serializers: Fastify's default compiler, as it is.
    schemaController: { compilersFactory: { buildValidator: validatorCompilerFactory() as never } },
    // The router answers a malformed %-encoding or an over-long path parameter before any hook or the error
    // handler runs; without this they left as Fastify's own JSON (and 414), not problem+json 400 (docs/api.md).
    frameworkErrors: (error, request, reply) => {
      const thrown = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new BadRequestError('A path parameter is too long') : error
      const { body, headers } = toProblem(thrown, request, config.isProduction)
      request.log.info({ status: body.status, problem: body.type }, 'request rejected by the router')
      const plain = reply as unknown as FastifyReply
      plain.code(body.status).headers({ ...headers, 'x-request-id': request.id }).type(PROBLEM_CONTENT_TYPE).send(body)
    }
  }
}
