import type { components } from './schema.js'

/** An RFC 9457 problem as the document describes every 4xx and 5xx body. */
export type Problem = components['schemas']['Problem']

/** Every problem `type` the service sends is this followed by a slug (docs/api.md, "Problem types"). */
export const PROBLEM_TYPE_PREFIX = 'https://fastify-shop-api.example/problems/'

/**
 * Whether an `error` from the client really is a problem (of the given slug, when one is named).
 * openapi-fetch types `error` from the document, but at run time it is whatever arrived: the text of a proxy's
 * HTML 502, or `''` for a 304 (which openapi-fetch also reports as `error`, since it is not a 2xx).
 */
export function isProblem (value: unknown, slug?: string): value is Problem {
  if (typeof value !== 'object' || value === null) return false
  const { type, status } = value as Record<string, unknown>
  if (typeof type !== 'string' || typeof status !== 'number') return false
  return slug === undefined || type === `${PROBLEM_TYPE_PREFIX}${slug}`
}
