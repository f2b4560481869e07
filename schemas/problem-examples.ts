import { STATUS_CODES } from 'node:http'
import { PROBLEM_TYPE_BASE } from './problem.js'

/**
 * One realistic example per problem type the operations document, as the service writes it (docs/api.md,
 * "Problem types"). The document lists each under `components.examples` by its slug, and every problem
 * response refers to the examples of the types it can carry; test/openapi checks them against the Problem
 * schema and docs/api.md.
 */
interface ProblemSample {
  status: number
  summary: string
  detail: string
  instance: string
  extensions?: Record<string, unknown>
}

const PRODUCT = '/v1/products/0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f'
const ORDER_PRODUCT = '3f1e2d4c-6b5a-4e7f-8a9b-0c1d2e3f4a5b'

export const PROBLEM_SAMPLES = {
  validation: {
    status: 400,
    summary: 'A field broke its schema (every body field at once, up to 20)',
    detail: 'body/priceCents must be >= 0, body/sku must match pattern "^[A-Z0-9-]{3,32}$"',
    instance: '/v1/products',
    extensions: {
      errors: [
        { field: '/body/priceCents', message: 'must be >= 0' },
        { field: '/body/sku', message: 'must match pattern "^[A-Z0-9-]{3,32}$"' }
      ]
    }
  },
  'malformed-json': { status: 400, summary: 'The body is not JSON', detail: 'Body is not valid JSON but content-type is set to \'application/json\'', instance: '/v1/products' },
  'bad-request': { status: 400, summary: 'A rule the schema cannot express', detail: 'minPrice must not exceed maxPrice', instance: '/v1/products' },
  'weak-password': {
    status: 400,
    summary: 'The new password breaks the policy',
    detail: 'password is one of the most commonly used passwords; choose another',
    instance: '/v1/auth/register',
    extensions: { rule: 'common', errors: [{ field: '/body/password', message: 'password is one of the most commonly used passwords; choose another' }] }
  },
  unauthorized: { status: 401, summary: 'No valid access token', detail: 'Invalid or expired access token', instance: '/v1/users/me' },
  forbidden: { status: 403, summary: 'Not allowed for this account', detail: 'You are not allowed to do this', instance: '/v1/users' },
  'own-role-change': { status: 403, summary: 'An admin named their own account', detail: 'An admin cannot change their own role; ask another admin', instance: '/v1/users/8d2f4a6b-1c3e-4f5a-9b7c-2d4e6f8a0b1c' },
  'own-account-disable': { status: 403, summary: 'An admin tried to disable their own account', detail: 'An admin cannot disable their own account; ask another admin', instance: '/v1/users/8d2f4a6b-1c3e-4f5a-9b7c-2d4e6f8a0b1c' },
  'not-found': { status: 404, summary: 'Nothing the caller may see has this id', detail: 'Product not found', instance: PRODUCT },
  'email-taken': { status: 409, summary: 'Another account has this email', detail: 'An account with this email already exists', instance: '/v1/auth/register' },
  'sku-taken': { status: 409, summary: 'Another product has this sku', detail: 'Another product already has this sku', instance: '/v1/products' },
  'insufficient-stock': {
    status: 409,
    summary: 'Some lines want more than is in stock; nothing was ordered',
    detail: 'Not enough stock for some items; nothing was ordered',
    instance: '/v1/orders',
    extensions: { shortages: [{ productId: ORDER_PRODUCT, requested: 3, available: 1 }] }
  },
  'open-units-exceeded': {
    status: 409,
    summary: 'The account\'s open orders would hold too many units',
    detail: 'At most 500 units may be in your placed orders at once; 480 are, and this order adds 40. Cancelling an order frees its units',
    instance: '/v1/orders',
    extensions: { maxOpenUnits: 500, openUnits: 480, requestedUnits: 40 }
  },
  'idempotency-key-in-use': { status: 409, summary: 'Another request with this Idempotency-Key is running', detail: 'This Idempotency-Key is being processed; retry shortly', instance: '/v1/orders' },
  'order-already-cancelled': { status: 409, summary: 'The order is already cancelled', detail: 'The order is already cancelled', instance: '/v1/orders/5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d/cancel' },
  'precondition-failed': { status: 412, summary: 'if-match names an older version', detail: 'The resource changed since you read it', instance: PRODUCT },
  'payload-too-large': { status: 413, summary: 'Body over 1 MiB', detail: 'Request body is too large', instance: '/v1/products' },
  'unsupported-media-type': { status: 415, summary: 'The body is not JSON', detail: 'Send the body as application/json (got text/plain)', instance: '/v1/products' },
  'unknown-product': { status: 422, summary: 'A line names no live product', detail: `Unknown or archived product: ${ORDER_PRODUCT}`, instance: '/v1/orders' },
  'idempotency-key-reused': { status: 422, summary: 'The Idempotency-Key was used with another body', detail: 'This Idempotency-Key was already used with a different request body', instance: '/v1/orders' },
  'order-too-large': {
    status: 422,
    summary: 'Too many units in one order',
    detail: 'An order may hold at most 200 units in all; this one has 250',
    instance: '/v1/orders',
    extensions: { maxUnits: 200, requestedUnits: 250 }
  },
  'rate-limited': { status: 429, summary: 'Over the per-client (or the auth) rate limit', detail: 'Rate limit exceeded: 100 requests per window; retry in 42 s', instance: '/v1/products' },
  'order-rate-limited': { status: 429, summary: 'Over the per-account order limit', detail: 'At most 30 orders per minute per account; retry later', instance: '/v1/orders' },
  'too-many-login-attempts': { status: 429, summary: 'Too many wrong passwords for this account from this client', detail: 'Too many wrong password attempts for this account from this client; retry later', instance: '/v1/auth/login' },
  internal: { status: 500, summary: 'An unexpected failure (production hides the cause)', detail: 'Internal server error', instance: '/v1/orders' },
  'auth-busy': { status: 503, summary: 'Too many password hashes waiting', detail: 'Too many sign-ins, sign-ups and password changes are being processed; retry shortly', instance: '/v1/auth/login' },
  'service-unavailable': { status: 503, summary: 'The database is down or the process is shedding load', detail: 'The database is unavailable, retry later', instance: '/v1/products' }
} satisfies Record<string, ProblemSample>

export type ProblemSlug = keyof typeof PROBLEM_SAMPLES

/** The example as the service sends it: RFC 9457 members, the request id, the type's own extensions. */
export function problemExample (slug: ProblemSlug): { summary: string, value: Record<string, unknown> } {
  const sample: ProblemSample = PROBLEM_SAMPLES[slug]
  return {
    summary: sample.summary,
    value: {
      type: `${PROBLEM_TYPE_BASE}${slug}`,
      title: STATUS_CODES[sample.status] ?? 'Error',
      status: sample.status,
      detail: sample.detail,
      instance: sample.instance,
      requestId: '6f1c2b8e-4d3a-4f5b-9c7d-8e9f0a1b2c3d',
      ...sample.extensions
    }
  }
}

/** The types a status carries when the route names none. */
export const DEFAULT_SLUGS: Partial<Record<number, ProblemSlug[]>> = {
  400: ['validation'],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not-found'],
  412: ['precondition-failed'],
  413: ['payload-too-large'],
  415: ['unsupported-media-type'],
  429: ['rate-limited'],
  500: ['internal'],
  503: ['service-unavailable']
}
