import type { FastifyServerOptions } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'

/** Never written to a log, wherever they appear in a logged object (API.md, OWASP logging cheat sheet). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...['password', 'currentPassword', 'newPassword', 'passwordHash', 'password_hash', 'token', 'accessToken', 'refreshToken', 'tokenHash', 'token_hash']
    .flatMap((field) => [field, `*.${field}`, `*.*.${field}`])
]

export function loggerOptions (config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  const base = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' }
  }
  if (stream !== undefined) return { ...base, stream }
  // Humans at a terminal get pretty lines; everything else (containers, CI, files) gets JSON.
  if (process.stdout.isTTY && !config.isProduction) {
    return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
  }
  return base
}
