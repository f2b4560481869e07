/**
 * Facts about every operation that no single route schema states, written into the generated OpenAPI
 * document in one place (the OWASP API Security ruleset in .spectral.yaml asks for them):
 * rate-limit and correlation headers, the generic 500, Retry-After on 429/503, integer formats and
 * operation ids. Only the document changes; validation and serialization keep using the route schemas.
 */

type JsonObject = Record<string, unknown>

const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'])
const INT32_MAX = 2 ** 31 - 1
const INT32_MIN = -(2 ** 31)

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }

const integerHeader = (description: string) => ({ description, schema: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } })

/** Sent on every /v1 response by plugins/rate-limit.ts (IETF draft RateLimit header fields). */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': integerHeader('Requests allowed in the current window'),
  'RateLimit-Remaining': integerHeader('Requests left in the current window'),
  'RateLimit-Reset': integerHeader('Seconds until the window resets')
}

/** Sent on every response by plugins/request-id.ts and plugins/security.ts. */
const COMMON_HEADERS = {
  'X-Request-Id': { description: 'Correlation id: the caller\'s when it is a sane token, else generated', schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$', maxLength: 128 } },
  'Access-Control-Allow-Origin': { description: 'Present only when the request\'s Origin is listed in CORS_ORIGINS; never echoes an unlisted origin', schema: { type: 'string', format: 'uri', maxLength: 2048 } }
}

const RETRY_AFTER_HEADER = { 'Retry-After': integerHeader('Seconds to wait before retrying') }

function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `GET /v1/products/{id}/cancel` → `getProductsByIdCancel`: stable, unique per method and path. */
export function operationIdFor (method: string, path: string): string {
  const words = path.split('/').filter((segment) => segment !== '' && segment !== 'v1').map((segment) => {
    const param = /^\{(.+)\}$/.exec(segment)?.[1]
    const word = param === undefined ? segment : `by-${param}`
    return word.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0]?.toUpperCase() + part.slice(1)).join('')
  })
  return `${method}${words.join('')}`
}

/** Integers get the narrowest format their bounds allow; unbounded ones are int64 (JSON numbers up to 2^53). */
function addIntegerFormats (node: unknown): void {
  if (Array.isArray(node)) { for (const item of node) addIntegerFormats(item); return }
  if (!isObject(node)) return
  if (node.type === 'integer' && node.format === undefined) {
    const { minimum, maximum } = node
    const fitsInt32 = typeof minimum === 'number' && typeof maximum === 'number' && minimum >= INT32_MIN && maximum <= INT32_MAX
    node.format = fitsInt32 ? 'int32' : 'int64'
  }
  for (const value of Object.values(node)) addIntegerFormats(value)
}

function annotateResponses (path: string, operation: JsonObject, responses: JsonObject): void {
  // Health probes are exempt from rate limiting (docs/api.md), so they do not carry its headers.
  const rateLimited = path.startsWith('/v1/') || path === '/v1'
  responses['500'] ??= { description: 'Unexpected failure; in production the detail says only "Internal server error"', content: problemContent }
  if (operation.requestBody !== undefined) {
    // Fastify's body parser answers these on every route that takes a body, before any handler runs.
    responses['413'] ??= { description: 'Body over 1 MiB', content: problemContent }
    responses['415'] ??= { description: 'Body is not application/json', content: problemContent }
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue
    const headers = isObject(response.headers) ? response.headers : {}
    Object.assign(headers, COMMON_HEADERS)
    if (rateLimited && /^[24]/.test(status)) Object.assign(headers, RATE_LIMIT_HEADERS)
    if (status === '429' || status === '503') Object.assign(headers, RETRY_AFTER_HEADER)
    response.headers = headers
  }
}

/** Fastify registers `/v1/users` and `/v1/users/` alike; the document names the form docs/api.md uses. */
function withoutTrailingSlash (path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

export function annotateDocument<T> (generated: T): T {
  // A copy: the generator's objects may be shared with route schemas, and YAML output would alias shared nodes.
  const document: unknown = structuredClone(generated)
  if (!isObject(document)) return generated
  const paths = isObject(document.paths) ? document.paths : {}
  const renamed: JsonObject = {}
  for (const [rawPath, item] of Object.entries(paths)) {
    const path = withoutTrailingSlash(rawPath)
    renamed[path] = item
    if (!isObject(item)) continue
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method) || !isObject(operation)) continue
      operation.operationId ??= operationIdFor(method, path)
      if (isObject(operation.responses)) annotateResponses(path, operation, operation.responses)
    }
  }
  document.paths = renamed
  addIntegerFormats(document.paths)
  addIntegerFormats(document.components)
  return document as T
}
