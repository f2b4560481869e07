import fp from 'fastify-plugin'
import type { FastifyInstance, FastifySchema } from 'fastify'
import { isProblemResponse } from '../schemas/responses.js'

/** Where a route keeps its problem responses once they are out of `response`: the OpenAPI transform only reads it. */
const DOCUMENTED_PROBLEMS = 'x-documented-problems'

type Responses = Record<string, unknown>

/**
 * Every route documents its 4xx/5xx answers with the same `Problem` schema (schemas/responses.ts), and Fastify
 * compiles a serializer per route × status × media type: ~150 fast-json-stringify builds of that one schema at
 * boot, for answers the error handler writes in one shape anyway. So each route's problem responses are taken
 * out of `response` as the route is declared, kept beside it for the document, and put back only there
 * (documentedProblems below, the docs plugin's transform). Problem answers are then written by Fastify's default
 * JSON serializer. Registered after every plugin that adds problem responses (auth adds 401/403), before routes.
 */
async function docsProblemsPlugin (fastify: FastifyInstance) {
  fastify.addHook('onRoute', (route) => {
    const response = route.schema?.response as Responses | undefined
    if (response === undefined || response === null) return
    const kept: Responses = {}
    const problems: Responses = {}
    for (const [status, entry] of Object.entries(response)) {
      if (isProblemResponse(entry)) problems[status] = entry
      else kept[status] = entry
    }
    if (Object.keys(problems).length === 0) return
    route.schema = { ...route.schema, response: kept, ...{ [DOCUMENTED_PROBLEMS]: problems } }
  })
}

/** For the OpenAPI document: the route's schema with its problem responses back in `response`. */
export function documentedProblems (schema: FastifySchema): FastifySchema {
  const { [DOCUMENTED_PROBLEMS]: problems, ...rest } = schema as FastifySchema & { [DOCUMENTED_PROBLEMS]?: Responses }
  if (problems === undefined) return schema
  return { ...rest, response: { ...problems, ...(rest.response as Responses | undefined) } }
}

export default fp(docsProblemsPlugin, { name: 'docs-problems', dependencies: ['docs', 'auth'] })
