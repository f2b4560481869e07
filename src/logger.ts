import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'
import { loggableUrl } from './log-url.js'

/**
 * What can carry a secret in this service's log lines, and only that (docs/api.md, OWASP logging cheat sheet).
 * Lines hold `req` (serializeRequest below: no headers, query values dropped), `res` (Fastify's: the status code
 * only), named fields chosen by the code, and `err` for 5xx answers. No code logs a body or a header. What is
 * left is a database error: its `detail` repeats the failing row ("Failing row contains (…)", "Key (token_hash)=
 * (…)"), and PGlite's errors carry the statement's bound `params`: password and token hashes, emails. No wildcard
 * paths: pino runs those over every binding of every child logger, which is one per request.
 */
export const REDACTED_PATHS = ['err.detail', 'err.params']

/** LOG_FORMAT, or when unset: humans at a terminal get pretty lines; containers, CI and files get JSON. */
export function usesPrettyLogs (config: Config): boolean {
  return config.logFormat === 'pretty' || (config.logFormat === undefined && process.stdout.isTTY && !config.isProduction)
}

/**
 * pino-pretty, one line per entry: extra fields stay on the line (singleLine) and the request/response objects,
 * which src/request-log.ts already summarises in the message, are left out.
 */
const PRETTY_OPTIONS = {
  translateTime: 'HH:MM:ss.l',
  ignore: 'pid,hostname,requestId,req,res,responseTime',
  singleLine: true,
  messageFormat: '{if requestId}{requestId} {end}{msg}'
}

/** Fastify's own `req` serializer (its `incoming request` line), with the query values left out (src/log-url.ts). */
function serializeRequest (request: FastifyRequest) {
  return {
    method: request.method,
    url: loggableUrl(request.url),
    // A repeated header arrives as an array; the logger's type (and a reader) expect one value.
    version: [request.headers['accept-version']].flat()[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

export function loggerOptions (config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  const base = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest }
  }
  if (stream !== undefined) return { ...base, stream }
  if (usesPrettyLogs(config)) return { ...base, transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } }
  return base
}
