import { STATUS_CODES } from 'node:http'
import { Type, type TSchema } from '@sinclair/typebox'
import { Problem, PROBLEM_MEDIA_TYPE } from './problem.js'
import { HEADERS, type HeaderName } from './headers.js'
import { DEFAULT_SLUGS, problemExample, type ProblemSlug } from './problem-examples.js'

const ProblemRef = Type.Ref(Problem)

/**
 * A success response: its schema (serialization uses it as before) with the description and the headers the
 * document shows for it. @fastify/swagger takes the response description from the schema's `description` and
 * the headers from its `headers`; fast-json-stringify ignores both.
 */
export function success<T extends TSchema> (schema: T, description: string, headers: HeaderName[] = []): T {
  const documented = headers.length === 0 ? {} : { headers: Object.fromEntries(headers.map((name) => [name, { ...HEADERS[name].schema, description: HEADERS[name].description }])) }
  return { ...schema, description, ...documented }
}

/** Every response problems() made: documentation only, never compiled into a serializer (isProblemResponse). */
const PROBLEM_RESPONSES = new WeakSet<object>()

/**
 * Whether a route's response entry is a problem response from problems(). Error answers are all one `Problem`
 * shape written by one error handler, so they are documented in the OpenAPI document but not compiled per route
 * and status (plugins/docs-problems.ts takes them out of the route before Fastify compiles it).
 */
export function isProblemResponse (value: unknown): boolean {
  return typeof value === 'object' && value !== null && PROBLEM_RESPONSES.has(value)
}

/** A documented problem response, served as application/problem+json, with one example per problem type. */
function problemResponse (status: number, description: string | undefined, slugs: readonly ProblemSlug[]) {
  const response = {
    description: description ?? STATUS_CODES[status] ?? 'Error',
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: ProblemRef,
        // Moved to components.examples and referenced there by plugins/docs-annotations.ts.
        examples: Object.fromEntries(slugs.map((slug) => [slug, problemExample(slug)]))
      }
    }
  }
  PROBLEM_RESPONSES.add(response)
  return response
}

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 503

/** A status, with the description and problem types of this route when the defaults do not say enough. */
type ProblemEntry = ProblemStatus | [ProblemStatus, string] | [ProblemStatus, string, ProblemSlug[]]

/**
 * The problem responses a route can answer, each written once here:
 * `response: { 200: Product, ...problems(400, [409, 'Another product already has this sku', ['sku-taken']]) }`.
 * 429 and 503 are added to every route because rate limiting and load shedding apply to all of them.
 */
export function problems (...statuses: ProblemEntry[]) {
  const entries: Record<number, ReturnType<typeof problemResponse>> = {}
  for (const entry of statuses) {
    const [status, description, slugs] = Array.isArray(entry) ? entry : [entry, undefined, undefined]
    entries[status] = problemResponse(status, description, slugs ?? DEFAULT_SLUGS[status] ?? [])
  }
  entries[429] ??= problemResponse(429, 'Too many requests; see retry-after', ['rate-limited'])
  entries[503] ??= problemResponse(503, 'Overloaded or a dependency is down; see retry-after', ['service-unavailable'])
  return entries
}
