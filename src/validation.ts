import AjvCompiler, { type RouteDefinition } from '@fastify/ajv-compiler'
import type { AnySchema, Options as AjvOptions, Plugin } from 'ajv'
import ajvFormats from 'ajv-formats'

/**
 * Two AJV configurations: query strings, params and headers arrive as text and are coerced to the schema's
 * types; JSON bodies are not coerced (null must not become 0 or ""). Neither removes unknown properties:
 * Fastify's default removeAdditional would silently accept them, and docs/api.md says they are a 400.
 * An invalid body is validated a second time with allErrors, so a form is fixed in one round trip (see
 * everyBodyError); params, query strings and headers stop at their first error.
 */
export function validatorCompilerFactory () {
  // One @fastify/ajv-compiler per app, as Fastify's default has it: its pool (keyed by shared schemas + options)
  // gives every plugin context of the app the same AJV instances.
  const factory = AjvCompiler()
  return (externalSchemas: Record<string, AnySchema>) => validatorsFor(factory, externalSchemas)
}

function validatorsFor (factory: ReturnType<typeof AjvCompiler>, externalSchemas: Record<string, AnySchema>) {
  // validateSchema off: AJV would otherwise check every shared schema against the JSON Schema meta-schema in each of
  // its instances at every boot (about a third of boot's AJV time). The schemas are TypeBox constants of the build;
  // CI's `npm run lint:api` checks them in the OpenAPI 3.1 document, and AJV's strict mode still rejects an unknown
  // keyword when a route compiles.
  const common: AjvOptions = { removeAdditional: false, useDefaults: true, allErrors: false, validateSchema: false }
  // ajv-compiler types its plugins as Plugin<unknown>; ajv-formats declares its own options type.
  const plugins = [ajvFormats.default as Plugin<unknown>]
  const forBody = factory(externalSchemas, { customOptions: { ...common, coerceTypes: false }, plugins })
  const forText = factory(externalSchemas, { customOptions: { ...common, coerceTypes: 'array' }, plugins })
  // The allErrors AJV instance and each route's allErrors validator are built on the first invalid body that needs
  // them, not at boot: most processes never see one for most routes, and building them took a third of AJV's boot
  // time. The first invalid body of a route pays that one compilation (milliseconds), later ones do not.
  let forBodyAllErrors: ReturnType<typeof factory> | undefined
  const allErrorsOf = (route: RouteDefinition) => () => {
    forBodyAllErrors ??= factory(externalSchemas, { customOptions: { ...common, coerceTypes: false, allErrors: true }, plugins })
    return forBodyAllErrors(route)
  }
  return (route: RouteDefinition) => storableOnly(route.httpPart === 'body'
    ? everyBodyError(forBody(route), allErrorsOf(route))
    : forText(route))
}

interface Validate {
  (data: unknown): unknown
  errors?: unknown
}

/** What a full second pass may cost at most: values in the body, and characters in its strings. */
export const FULL_VALIDATION_MAX_VALUES = 1000
export const FULL_VALIDATION_MAX_CHARS = 64 * 1024

/** Whether the body is small enough to validate with allErrors: stops counting as soon as it is not. */
function smallEnough (data: unknown): boolean {
  let values = 0
  let chars = 0
  const pending: unknown[] = [data]
  while (pending.length > 0) {
    const value = pending.pop()
    if (++values > FULL_VALIDATION_MAX_VALUES) return false
    if (typeof value === 'string') chars += value.length
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) { chars += key.length; pending.push(inner) }
    }
    if (chars > FULL_VALIDATION_MAX_CHARS) return false
  }
  return true
}

/**
 * Valid bodies pass the first-error validator alone, so the common path costs what it did. An invalid one is
 * run again with allErrors to report every field, but only when it is small: allErrors keeps validating after
 * a size limit fails (every item of an over-long array, `pattern` on an over-long string), and a 1 MiB array
 * of empty objects took 1.2 s of event loop that way (350 000 items, 120 000 errors); a form is far below the
 * bound. A larger invalid body gets its first error, as before.
 */
function everyBodyError (firstError: Validate, buildAllErrors: () => Validate): Validate {
  let allErrors: Validate | undefined
  const checked: Validate = (data) => {
    const valid = firstError(data)
    checked.errors = firstError.errors
    if (valid === true || !smallEnough(data)) return valid
    allErrors ??= buildAllErrors()
    const again = allErrors(data)
    checked.errors = allErrors.errors
    return again
  }
  return checked
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
