import AjvCompiler, { type RouteDefinition } from '@fastify/ajv-compiler'
import type { AnySchema, Options as AjvOptions, Plugin } from 'ajv'
import ajvFormats from 'ajv-formats'

// Module-wide so its pool (keyed by shared schemas + options) is reused by every plugin context: a factory
// per call made two new AJV instances per context, each compiling the JSON Schema meta-schema (~15 ms).
const factory = AjvCompiler()

/**
 * Two AJV configurations: query strings, params and headers arrive as text and are coerced to the schema's
 * types; JSON bodies are not coerced (null must not become 0 or ""). Neither removes unknown properties:
 * Fastify's default removeAdditional would silently accept them, and docs/api.md says they are a 400.
 */
export function buildValidator (externalSchemas: Record<string, AnySchema>) {
  const common: AjvOptions = { removeAdditional: false, useDefaults: true, allErrors: false }
  // ajv-compiler types its plugins as Plugin<unknown>; ajv-formats declares its own options type.
  const plugins = [ajvFormats.default as Plugin<unknown>]
  const forBody = factory(externalSchemas, { customOptions: { ...common, coerceTypes: false }, plugins })
  const forText = factory(externalSchemas, { customOptions: { ...common, coerceTypes: 'array' }, plugins })
  return (route: RouteDefinition) => storableOnly(route.httpPart === 'body' ? forBody(route) : forText(route))
}

interface Validate {
  (data: unknown): unknown
  errors?: unknown
}

/** The first value no column can hold, with its JSON pointer and what is wrong with it. */
function unstorable (value: unknown, path = ''): { path: string, message: string } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, message: 'must be a finite number' }
  if (typeof value === 'string') return value.includes('\u0000') ? { path, message: 'must not contain NUL characters' } : undefined
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, inner] of Object.entries(value)) {
    const found = unstorable(inner, `${path}/${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Values that pass the schemas but that PostgreSQL refuses, found by fuzzing (each was a 500):
 * AJV coerces the query text "Infinity" to Infinity for an integer and then skips minimum/maximum, which it
 * only checks on finite numbers; and PostgreSQL text cannot hold U+0000. Both are a 400 here instead.
 */
function storableOnly (validate: Validate): Validate {
  const checked: Validate = (data) => {
    const valid = validate(data)
    checked.errors = validate.errors
    const problem = valid === true ? unstorable(data) : undefined
    if (problem === undefined) return valid
    checked.errors = [{ instancePath: problem.path, keyword: 'storable', params: {}, message: problem.message }]
    return false
  }
  return checked
}
