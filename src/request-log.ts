import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { loggableUrl } from './log-url.js'

/** Probes and scrapes arrive every few seconds from every replica; their lines would drown the real ones. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/

const LOG_OPTIONS = {
  requestIdLogLabel: 'requestId',
  disableRequestLogging: (request: FastifyRequest) => QUIET_PATHS.test(request.url)
}

/** The app's logger is pino (src/logger.ts); Fastify's type names only the log methods. */
function writesInfo (request: FastifyRequest): boolean {
  return (request.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled('info')
}

/**
 * Fastify's request lines, asked first whether they would be written at all. At LOG_LEVEL=warn, production's
 * usual level, the incoming and completed lines are info and dropped, yet Fastify ran the quiet-path test and
 * built the completed line's fields for every request before pino dropped them. Read per request: a request's
 * level can be raised. A failed response's line is error level and goes through as before.
 */
class RequestLog extends LogController {
  override incomingRequest (request: FastifyRequest, reply: FastifyReply): void {
    if (writesInfo(request)) super.incomingRequest(request, reply)
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if ((error !== null && error !== undefined) || writesInfo(request)) super.requestCompleted(error, request, reply)
  }
}

/**
 * For pretty (development) logs: one line per request, written when it completes, saying what a developer
 * looks for (`GET /v1/products?limit → 200 in 4.1 ms`; query names only, src/log-url.ts), instead of Fastify's
 * two multi-line entries.
 */
class CompactRequestLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const failed = error !== null && error !== undefined
    if ((!failed && !writesInfo(request)) || this.isLogDisabled(request)) return
    const line = `${request.method} ${loggableUrl(request.url)} → ${reply.statusCode} in ${reply.elapsedTime.toFixed(1)} ms`
    if (failed) reply.log.error({ err: error }, line)
    else reply.log.info(line)
  }
}

/**
 * With tracing on, Fastify's incoming-request line is written by plugins/tracing.ts once the request span exists
 * (writeIncomingRequest below), so that it carries the trace id like every later line of the request.
 */
class TracedRequestLog extends RequestLog {
  override incomingRequest (): void {}
}

/** Fastify's own incoming-request line, for plugins/tracing.ts. */
const incomingLine = new LogController(LOG_OPTIONS)

/**
 * JSON logs keep Fastify's own request lines (incoming and completed, with req/res); pretty logs get one line.
 * `traced`: the incoming line is left to writeIncomingRequest.
 */
export function requestLogController (pretty: boolean, traced = false): LogController {
  if (pretty) return new CompactRequestLog(LOG_OPTIONS)
  return traced ? new TracedRequestLog(LOG_OPTIONS) : new RequestLog(LOG_OPTIONS)
}

/** Writes the incoming-request line a `traced` controller left out (pretty logs have none). */
export function writeIncomingRequest (pretty: boolean, request: FastifyRequest, reply: FastifyReply): void {
  if (!pretty) incomingLine.incomingRequest(request, reply)
}
