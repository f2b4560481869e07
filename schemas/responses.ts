import { STATUS_CODES } from 'node:http'
import { Type } from '@sinclair/typebox'
import { Problem } from './problem.js'

const ProblemRef = Type.Ref(Problem)

/** A documented problem response, served as application/problem+json. */
function problemResponse (status: number, description?: string) {
  return {
    description: description ?? STATUS_CODES[status] ?? 'Error',
    content: { 'application/problem+json': { schema: ProblemRef } }
  }
}

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 503

/**
 * The problem responses a route can answer, each written once here:
 * `response: { 200: Product, ...problems(400, 404) }`.
 * 429 and 503 are added to every route because rate limiting and load shedding apply to all of them.
 */
export function problems (...statuses: Array<ProblemStatus | [ProblemStatus, string]>) {
  const entries: Record<number, ReturnType<typeof problemResponse>> = {}
  for (const entry of statuses) {
    const [status, description] = Array.isArray(entry) ? entry : [entry, undefined]
    entries[status] = problemResponse(status, description)
  }
  entries[429] ??= problemResponse(429, 'Too many requests; see retry-after')
  entries[503] ??= problemResponse(503, 'Overloaded or a dependency is down; see retry-after')
  return entries
}
