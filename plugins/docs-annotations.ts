import { HEADERS, type HeaderName } from '../schemas/headers.js'
import { PROBLEM_MEDIA_TYPE } from '../schemas/problem.js'
import { problemExample, type ProblemSlug } from '../schemas/problem-examples.js'

/**
 * Facts about every operation that no single route schema states, written into the generated OpenAPI
 * document in one place (the OWASP API Security ruleset in .spectral.yaml asks for them):
 * rate-limit and correlation headers, the generic 500, Retry-After on 429/503, integer formats and
 * operation ids. Shared parts are written once under components and referenced: headers (components.headers)
 * and problem examples (components.examples, one per problem type). Only the document changes; validation
 * and serialization keep using the route schemas.
 */

type JsonObject = Record<string, unknown>

const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'])
const INT32_MAX = 2 ** 31 - 1
const INT32_MIN = -(2 ** 31)

/** Response headers by name → the `$ref` every response uses (the definitions: components.headers). */
const headerRef = (name: HeaderName) => ({ $ref: `#/components/headers/${name}` })
const exampleRef = (slug: string) => ({ $ref: `#/components/examples/${slug}` })

function problemContent (slugs: ProblemSlug[]) {
  return { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' }, examples: Object.fromEntries(slugs.map((slug) => [slug, problemExample(slug)])) } }
}

function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `GET /v1/products/{id}/cancel` → `getProductsByIdCancel`: stable, unique per method and path. */
function operationIdFor (method: string, path: string): string {
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
  const takesBody = operation.requestBody !== undefined
  responses['500'] ??= { description: 'Unexpected failure; in production the detail says only "Internal server error"', content: problemContent(['internal']) }
  if (takesBody) {
    // Fastify's body parser answers these on every route that takes a body, before any handler runs.
    responses['413'] ??= { description: 'Body over 1 MiB', content: problemContent(['payload-too-large']) }
    responses['415'] ??= { description: 'Body is not application/json', content: problemContent(['unsupported-media-type']) }
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue
    if (status === '400' && takesBody) addExample(response, 'malformed-json')
    const own = isObject(response.headers) ? Object.keys(response.headers) : []
    const names: HeaderName[] = ['X-Request-Id', 'Access-Control-Allow-Origin']
    // Rate limiting runs before the handler, so every answer it let through carries the fields; load shedding
    // (503) and unexpected failures (500) may come before it or without it.
    if (rateLimited && /^[234]/.test(status)) names.push('RateLimit-Policy', 'RateLimit')
    if (status === '401') names.push('WWW-Authenticate')
    if (status === '429' || status === '503') names.push('Retry-After')
    for (const name of own) if (name in HEADERS && !names.includes(name as HeaderName)) names.push(name as HeaderName)
    response.headers = Object.fromEntries(names.map((name) => [name, headerRef(name)]))
  }
}

/** Adds a problem example to a documented problem response (the body parser's own 400s, for instance). */
function addExample (response: JsonObject, slug: ProblemSlug): void {
  const media = isObject(response.content) ? response.content[PROBLEM_MEDIA_TYPE] : undefined
  if (!isObject(media)) return
  const examples = isObject(media.examples) ? media.examples : {}
  examples[slug] ??= problemExample(slug)
  media.examples = examples
}

/** Every inline problem example moves to components.examples under its slug; responses keep a `$ref`. */
function shareExamples (paths: JsonObject, components: JsonObject): void {
  const shared: JsonObject = {}
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue
      for (const response of Object.values(operation.responses)) {
        if (!isObject(response) || !isObject(response.content)) continue
        for (const media of Object.values(response.content)) {
          if (!isObject(media) || !isObject(media.examples)) continue
          for (const [slug, example] of Object.entries(media.examples)) {
            shared[slug] ??= example
            media.examples[slug] = exampleRef(slug)
          }
        }
      }
    }
  }
  components.examples = Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)))
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
  const components = isObject(document.components) ? document.components : {}
  components.headers = structuredClone(HEADERS)
  shareExamples(renamed, components)
  document.components = components
  addIntegerFormats(document.paths)
  addIntegerFormats(document.components)
  return document as T
}
