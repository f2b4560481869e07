/**
 * Checks a real response against what the OpenAPI document promises for its operation: the status is one
 * the operation lists, the media type is one it lists for that status, and the body validates against the
 * documented schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1). Documented headers that are always
 * sent (request id, rate limit, retry-after) must be present.
 */
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import type { LightMyRequestResponse } from 'fastify'
import type { OpenApiDocument, Operation } from './document.js'

// Both packages are CommonJS with a `default` export; under NodeNext the class sits on `.default`.
const Ajv2020 = Ajv2020Module.default
const addFormats = addFormatsModule.default

export interface ContractViolation {
  operation: string
  status: number
  problem: string
}

export class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true })
  private readonly validators = new Map<string, ValidateFunction>()

  constructor (private readonly document: OpenApiDocument) {
    addFormats(this.ajv)
    // Response schemas point at '#/components/schemas/X'; registered under the document's own URI, each
    // compiled response schema refers to them by that absolute address.
    this.ajv.addSchema({ $id: 'https://fastify-shop-api.example/openapi.json', components: document.components })
  }

  private validator (key: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(key)
    if (validate === undefined) {
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"https://fastify-shop-api.example/openapi.json#/components/')) as Record<string, unknown>
      validate = this.ajv.compile(rebased)
      this.validators.set(key, validate)
    }
    return validate
  }

  /** A response's header entry, its `#/components/headers/…` reference resolved. */
  private header (entry: { $ref?: string, required?: boolean }): { required?: boolean } | undefined {
    if (entry.$ref === undefined) return entry
    const name = entry.$ref.replace('#/components/headers/', '')
    return this.document.components.headers?.[name]
  }

  /** Every way the response breaks the document; empty when it keeps every promise. */
  violations (operation: Operation, response: LightMyRequestResponse, options: { rateLimitHeaders?: boolean } = {}): ContractViolation[] {
    const label = `${operation.method.toUpperCase()} ${operation.path}`
    const status = response.statusCode
    const found: ContractViolation[] = []
    const fail = (problem: string): void => { found.push({ operation: label, status, problem }) }
    const documented = operation.responses[String(status)] ?? operation.responses.default
    if (documented === undefined) {
      fail(`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')}); body: ${response.body.slice(0, 200)}`)
      return found
    }
    const content = documented.content ?? {}
    const mediaTypes = Object.keys(content)
    if (mediaTypes.length === 0) {
      if (response.body !== '') fail(`documented without a body, but one came: ${response.body.slice(0, 120)}`)
    } else {
      const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
      const entry = content[mediaType]
      if (entry === undefined) {
        fail(`media type "${mediaType}" is not documented (documented: ${mediaTypes.join(', ')})`)
      } else if (entry.schema !== undefined) {
        let body: unknown
        try {
          body = JSON.parse(response.body)
        } catch {
          fail(`body is not JSON: ${response.body.slice(0, 120)}`)
          return found
        }
        const validate = this.validator(`${label} ${status} ${mediaType}`, entry.schema)
        if (validate(body) !== true) fail(`body does not match the schema: ${this.ajv.errorsText(validate.errors)}; body: ${response.body.slice(0, 300)}`)
      }
    }
    const headers = (documented as { headers?: Record<string, { $ref?: string, required?: boolean }> }).headers ?? {}
    // The router rejects a malformed URL before the rate limiter counts it, so a fuzzer may ask to skip these.
    const skipped = options.rateLimitHeaders === false ? /^ratelimit(-policy)?$/ : /^$/
    for (const [header, reference] of Object.entries(headers)) {
      const name = header.toLowerCase()
      const definition = this.header(reference)
      if (definition === undefined) { fail(`documented header ${header} has no definition (${reference.$ref ?? 'inline'})`); continue }
      // `required: false` marks headers sent only sometimes (CORS, a replay); the others must be there.
      if (definition.required !== true || skipped.test(name)) continue
      if (response.headers[name] === undefined) fail(`documented header ${name} is missing`)
    }
    return found
  }
}
