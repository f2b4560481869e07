import type { components } from './schema.js'

/** An RFC 9457 problem as the document describes every 4xx and 5xx body. */
export type Problem = components['schemas']['Problem']

/** Every problem `type` the service sends is this followed by a slug (docs/api.md, "Problem types"). */
export const PROBLEM_TYPE_PREFIX = 'https://fastify-shop-api.example/problems/'

/** A problem of this service whose `type` ends in `Slug`. */
export type ProblemOf<Slug extends string = string> = Problem & { type: `${typeof PROBLEM_TYPE_PREFIX}${Slug}` }

/**
 * Whether an `error` from the client really is a problem of this service (of the given slug, when one is named).
 * openapi-fetch types `error` from the document, but at run time it is whatever arrived: the text of a proxy's
 * HTML 502, or `''` for a 304 (which openapi-fetch reports as `error`, since it is not a 2xx).
 * The guard narrows only when it holds: narrowing to "not a Problem" when it fails would turn the `error` of
 * `if (isProblem(error, 'insufficient-stock')) … else if (error)` into `never`.
 */
export function isProblem<Slug extends string = string> (value: unknown, slug?: Slug): value is ProblemOf<Slug> {
  if (typeof value !== 'object' || value === null) return false
  const { type, status } = value as Record<string, unknown>
  if (typeof type !== 'string' || typeof status !== 'number') return false
  return slug === undefined ? type.startsWith(PROBLEM_TYPE_PREFIX) : type === `${PROBLEM_TYPE_PREFIX}${slug}`
}
