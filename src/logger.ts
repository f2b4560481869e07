import type { FastifyBaseLogger, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, DestinationStream, LogFn, Logger } from 'pino'
import type { Config } from './config.js'
import { loggableUrl } from './log-url.js'

/** Never written to a log, wherever they appear in a logged object (docs/api.md, OWASP logging cheat sheet). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...['password', 'currentPassword', 'newPassword', 'passwordHash', 'password_hash', 'token', 'accessToken', 'refreshToken', 'tokenHash', 'token_hash']
    .flatMap((field) => [field, `*.${field}`, `*.*.${field}`])
]

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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

/**
 * Fastify makes a child logger per request (binding: the request id). With redaction on, pino runs every
 * wildcard redact path over the bindings when a child is made: ~7 µs per request (bench/README.md, optimisation
 * log), for lines that at LOG_LEVEL=warn are almost never written. This makes the real child on the first line
 * actually written; disabled levels stay the parent's no-ops. Per-route logger options get a real child at once.
 */
export function lazyChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options)
  let child: FastifyBaseLogger | undefined
  const real = (): FastifyBaseLogger => (child ??= logger.child(bindings, options))
  const lazy = Object.create(logger) as FastifyBaseLogger
  const levels = logger as unknown as Pick<Logger, 'isLevelEnabled'>
  for (const level of LOG_LEVELS) {
    if (levels.isLevelEnabled(level)) lazy[level] = (...args: Parameters<LogFn>) => { real()[level](...args) }
  }
  lazy.child = (childBindings, childOptions) => real().child(childBindings, childOptions)
  return lazy
}
