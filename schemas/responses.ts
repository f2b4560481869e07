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

/** A documented problem response, served as application/problem+json, with one example per problem type. */
function problemResponse (status: number, description: string | undefined, slugs: readonly ProblemSlug[]) {
  return {
    description: description ?? STATUS_CODES[status] ?? 'Error',
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: ProblemRef,
        // Moved to components.examples and referenced there by plugins/docs-annotations.ts.
        examples: Object.fromEntries(slugs.map((slug) => [slug, problemExample(slug)]))
      }
    }
  }
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
