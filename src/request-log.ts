import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import { loggableUrl } from './log-url.js'

/** Probes and scrapes arrive every few seconds from every replica; their lines would drown the real ones. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/

const LOG_OPTIONS = {
  requestIdLogLabel: 'requestId',
  disableRequestLogging: (request: FastifyRequest) => QUIET_PATHS.test(request.url)
}

/**
 * For pretty (development) logs: one line per request, written when it completes, saying what a developer
 * looks for (`GET /v1/products?limit → 200 in 4.1 ms`; query names only, src/log-url.ts), instead of Fastify's
 * two multi-line entries.
 */
class CompactRequestLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = `${request.method} ${loggableUrl(request.url)} → ${reply.statusCode} in ${reply.elapsedTime.toFixed(1)} ms`
    if (error !== null && error !== undefined) reply.log.error({ err: error }, line)
    else reply.log.info(line)
  }
}

/**
 * With tracing on, Fastify's incoming-request line is written by plugins/tracing.ts once the request span exists
 * (writeIncomingRequest below), so that it carries the trace id like every later line of the request.
 */
class TracedRequestLog extends LogController {
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
  return traced ? new TracedRequestLog(LOG_OPTIONS) : new LogController(LOG_OPTIONS)
}

/** Writes the incoming-request line a `traced` controller left out (pretty logs have none). */
export function writeIncomingRequest (pretty: boolean, request: FastifyRequest, reply: FastifyReply): void {
  if (!pretty) incomingLine.incomingRequest(request, reply)
}
