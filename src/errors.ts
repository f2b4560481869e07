/**
 * Application errors: services throw these, the errors plugin turns them into
 * RFC 9457 problem responses. Nothing here knows about HTTP transport beyond the status code: what a client
 * needs besides the body (wait this long, authenticate so) is data, turned into headers in src/problem-headers.ts.
 */
import type { ProblemHints } from './problem-headers.js'
import { AUTH_SCHEME } from '../schemas/auth.js'

export class AppError extends Error {
  constructor (
    readonly status: number,
    /** Last segment of the problem `type` URI, stable for clients to branch on. */
    readonly slug: string,
    message: string,
    /** Extension members added to the problem body (RFC 9457 §3.2). */
    readonly extensions: Record<string, unknown> = {},
    /** What the client needs besides the body, e.g. `retryAfterSeconds`; src/problem.ts makes headers of it. */
    readonly hints: ProblemHints = {}
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class BadRequestError extends AppError {
  constructor (message: string) { super(400, 'bad-request', message) }
}

export class UnauthorizedError extends AppError {
  constructor (message = 'Authentication required') {
    super(401, 'unauthorized', message, {}, { authenticate: AUTH_SCHEME })
  }
}

/**
 * A well-signed, unexpired access token whose session was ended since it was issued (logout, password or role
 * change, reuse of a rotated refresh token). Its own slug: the remedy is a new sign-in, not a retry or a refresh.
 */
export class TokenRevokedError extends AppError {
  constructor () {
    super(401, 'token-revoked', 'This access token\'s session has ended (sign-out, password or role change); sign in again', {}, { authenticate: AUTH_SCHEME })
  }
}

export class ForbiddenError extends AppError {
  constructor (message = 'You are not allowed to do this') { super(403, 'forbidden', message) }
}

export class NotFoundError extends AppError {
  constructor (message = 'Resource not found') { super(404, 'not-found', message) }
}

/** A known path asked with a method it does not serve (RFC 9110 §15.5.6: the answer lists the ones it does). */
export class MethodNotAllowedError extends AppError {
  constructor (method: string, allowed: readonly string[]) {
    super(405, 'method-not-allowed', `${method} is not supported here; use ${allowed.join(', ')}`, {}, { allowedMethods: allowed })
  }
}

export class ConflictError extends AppError {
  constructor (message: string, slug = 'conflict', extensions: Record<string, unknown> = {}) {
    super(409, slug, message, extensions)
  }
}

export class PreconditionFailedError extends AppError {
  constructor (message = 'The resource changed since you read it') { super(412, 'precondition-failed', message) }
}

export class UnprocessableError extends AppError {
  constructor (message: string, slug = 'unprocessable', extensions: Record<string, unknown> = {}) {
    super(422, slug, message, extensions)
  }
}

export class ServiceUnavailableError extends AppError {
  constructor (message = 'Service temporarily unavailable, retry later', retryAfterSeconds = 1) {
    super(503, 'service-unavailable', message, {}, { retryAfterSeconds })
  }
}

/**
 * The request (headers and body) did not arrive within REQUEST_TIMEOUT_MS. The connection is closed after the
 * answer: the rest of the body may still be on its way, so the next bytes are not a new request.
 */
export class RequestTimeoutError extends AppError {
  constructor (timeoutMs: number) {
    super(408, 'request-timeout', `The request was not received within ${timeoutMs} ms`, {}, { closeConnection: true })
  }
}
