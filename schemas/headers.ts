import { AUTH_SCHEME } from './auth.js'

/**
 * Response headers as the OpenAPI document states them, each written once: the document lists them under
 * `components.headers` and every response refers to them by `$ref` (plugins/docs-annotations.ts). `required`
 * says whether the header is always sent on the responses that list it; test/openapi checks that it is.
 */
export interface HeaderSpec {
  description: string
  required: boolean
  schema: Record<string, unknown>
}

/** A caller's X-Request-Id is kept when it matches this (src/server-options.ts), else one is generated. */
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._-]{1,128}$'

const seconds = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }

export const HEADERS = {
  'X-Request-Id': {
    description: 'Correlation id: the caller\'s when it is a sane token, else generated',
    required: true,
    schema: { type: 'string', pattern: REQUEST_ID_PATTERN, maxLength: 128 }
  },
  'Access-Control-Allow-Origin': {
    description: 'Present only when the request\'s Origin is listed in CORS_ORIGINS; never echoes an unlisted origin',
    required: false,
    schema: { type: 'string', format: 'uri', maxLength: 2048 }
  },
  'RateLimit-Policy': {
    description: 'The rate-limit policies this request was counted against (IETF draft-ietf-httpapi-ratelimit-headers), ' +
      'a Structured Fields list: policy name, `q` = quota (requests) and `w` = window (seconds). "default" is the ' +
      'per-client limit; "auth" (/v1/auth/*) and "orders" (POST /v1/orders, per account) are counted on top of it',
    required: true,
    schema: { type: 'string', maxLength: 256, examples: ['"default";q=100;w=60'] }
  },
  RateLimit: {
    description: 'What is left of each policy in RateLimit-Policy, same names: `r` = requests remaining, `t` = seconds ' +
      'until the window resets. Left out while the counters cannot be read (Redis down: the limit is skipped)',
    required: true,
    schema: { type: 'string', maxLength: 256, examples: ['"default";r=42;t=30'] }
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    required: true,
    schema: seconds
  },
  ETag: {
    description: 'Strong tag of this version of the product: "<id>-<version>"; send it back in if-none-match or if-match',
    required: true,
    schema: { type: 'string', maxLength: 128, examples: ['"0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f-3"'] }
  },
  Location: {
    description: 'URL of the resource just created',
    required: true,
    schema: { type: 'string', format: 'uri-reference', maxLength: 128, examples: ['/v1/products/0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f'] }
  },
  Link: {
    description: 'RFC 8288 link to the next page, rel="next", sent while there is one: the same list from just after ' +
      'this page\'s last item, by cursor, with this request\'s filters, sort and limit. Follow it as it is',
    required: false,
    schema: { type: 'string', maxLength: 8192, examples: ['</v1/products?limit=20&sort=-createdAt&cursor=WzEsIi1jcmVhdGVkQXQiLCIyMDI2LTEyLTAyVDA4OjMxOjEyLjEyMzQ1NloiLCIwYjdjM2IxZS01YjJhLTRjOGUtOWYxZC0yYTNiNGM1ZDZlN2YiLDJd>; rel="next"'] }
  },
  'Idempotent-Replayed': {
    description: 'Sent on a replay only: this is the stored first answer to this Idempotency-Key; nothing new was placed',
    required: false,
    schema: { type: 'string', enum: ['true'] }
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with',
    required: true,
    schema: { type: 'string', enum: [AUTH_SCHEME] }
  }
} satisfies Record<string, HeaderSpec>

export type HeaderName = keyof typeof HEADERS
