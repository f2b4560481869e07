import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyRequest } from 'fastify'
import { AppError } from './errors.js'
import { problemHeaders } from './problem-headers.js'
import { AUTH_SCHEME } from '../schemas/auth.js'
import { isDatabaseUnavailable } from './database/errors.js'
import { loggableName } from './log-url.js'
import { PROBLEM_TYPE_BASE, type ProblemBody } from '../schemas/problem.js'

export interface ProblemResponse {
  body: ProblemBody
  headers: Record<string, string>
}

interface ValidationIssue {
  instancePath: string
  message?: string
  params?: Record<string, unknown>
}

/** Fastify's own error codes that deserve a clearer problem type than the bare status. */
const FASTIFY_CODE_SLUGS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_UNDER_PRESSURE: 'service-unavailable'
}

function problemType (slug: string): string {
  return `${PROBLEM_TYPE_BASE}${slug}`
}

function titleOf (status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** At most this many field errors in one validation problem (a body reports all of its own, src/validation.ts). */
export const MAX_FIELD_ERRORS = 20

/**
 * An unknown property's name as the client sent it, unless it could itself be a secret: `?<token>` arrives as a
 * query property named by the token, and a problem's detail is logged (src/log-url.ts applies the same rule).
 */
function unknownPropertyOf (issue: ValidationIssue): string | undefined {
  const extra = issue.params?.additionalProperty
  return typeof extra === 'string' ? loggableName(extra) : undefined
}

function messageOf (issue: ValidationIssue): string {
  const extra = unknownPropertyOf(issue)
  if (extra !== undefined) return `must NOT have additional property '${extra}'`
  // AJV's enum message does not say which values are allowed; the client needs them to fix the request.
  const allowed = issue.params?.allowedValues
  if (Array.isArray(allowed)) return `must be one of: ${allowed.map(String).join(', ')}`
  return issue.message ?? 'is invalid'
}

function fieldErrors (context: string | undefined, issues: ValidationIssue[]) {
  return issues.slice(0, MAX_FIELD_ERRORS).map((issue) => {
    // AJV reports a missing property at its parent; point at the property itself.
    const missing = issue.params?.missingProperty
    const extra = unknownPropertyOf(issue)
    const leaf = typeof missing === 'string' ? `/${missing}` : extra !== undefined ? `/${extra}` : ''
    return { field: `/${context ?? 'request'}${issue.instancePath}${leaf}`, message: messageOf(issue) }
  })
}

/** `body/email must match format "email", body/name must NOT have fewer than 1 characters` (bounded like `errors`). */
function validationDetail (errors: Array<{ field: string, message: string }>, total: number): string {
  const listed = errors.map((error) => `${error.field.slice(1)} ${error.message}`).join(', ')
  return total > errors.length ? `${listed} (and ${total - errors.length} more)` : listed
}

/** Bodies are JSON only (docs/api.md): the one media type every route with a body parses. */
export const BODY_MEDIA_TYPE = 'application/json'

function unsupportedMediaTypeDetail (request: FastifyRequest): string {
  const sent = request.headers['content-type']
  // The sent type is echoed only as far as a media type goes, so a long header does not grow the answer.
  const shown = typeof sent === 'string' && sent !== '' ? ` (got ${sent.split(';')[0]?.trim().slice(0, 100) ?? ''})` : ''
  return `Send the body as ${BODY_MEDIA_TYPE}${shown}`
}

/** The status Fastify or a plugin attached to an error, when it is a client or availability error. */
function declaredStatus (error: FastifyError): number | undefined {
  const status = error.statusCode
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined
}

/** How long a client waits before retrying when the database is unavailable. */
const DATABASE_RETRY_AFTER_SECONDS = 2

/** Turns any thrown error into an RFC 9457 problem; 5xx details stay in the log in production. */
export function toProblem (thrown: unknown, request: FastifyRequest, hideInternals: boolean): ProblemResponse {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown))
  // traceId only when tracing is on (plugins/tracing.ts): where to find this request's trace.
  const base = { instance: request.url.split('?')[0], requestId: request.id, ...(request.traceId === undefined ? {} : { traceId: request.traceId }) }

  if (error instanceof AppError) {
    return {
      body: { type: problemType(error.slug), title: titleOf(error.status), status: error.status, detail: error.message, ...base, ...error.extensions },
      headers: problemHeaders(error.hints)
    }
  }

  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    const issues = fastifyError.validation as ValidationIssue[]
    const errors = fieldErrors(fastifyError.validationContext, issues)
    return {
      body: { type: problemType('validation'), title: titleOf(400), status: 400, detail: validationDetail(errors, issues.length), ...base, errors },
      headers: {}
    }
  }

  if (isDatabaseUnavailable(error)) {
    return {
      body: { type: problemType('service-unavailable'), title: titleOf(503), status: 503, detail: 'The database is unavailable, retry later', ...base },
      headers: problemHeaders({ retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS })
    }
  }

  const status = declaredStatus(fastifyError)
  if (status !== undefined && (status < 500 || status === 503)) {
    const slug = FASTIFY_CODE_SLUGS[fastifyError.code] ?? titleOf(status).toLowerCase().replace(/[^a-z]+/g, '-')
    const headers = problemHeaders(status === 401 ? { authenticate: AUTH_SCHEME } : {})
    // Fastify's 415 names only what was sent; the client needs what to send instead.
    const detail = slug === 'unsupported-media-type' ? unsupportedMediaTypeDetail(request) : fastifyError.message
    return { body: { type: problemType(slug), title: titleOf(status), status, detail, ...base }, headers }
  }

  const serverStatus = status ?? 500
  return {
    body: {
      type: problemType('internal'),
      title: titleOf(serverStatus),
      status: serverStatus,
      detail: hideInternals ? 'Internal server error' : error.message,
      ...base
    },
    headers: {}
  }
}
