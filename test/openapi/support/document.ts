/**
 * Reading the generated OpenAPI document as data: its operations, their request parts as JSON Schemas
 * (with component $refs inlined), and the responses they promise. The contract, OWASP and fuzz tests
 * all start from here, so a new route is covered by them without anyone editing a list.
 */
import type { FastifyInstance } from 'fastify'

export type JsonSchema = Record<string, unknown>
export type Access = 'anyone' | 'signed-in' | 'admin'

export interface RequestParts {
  params?: JsonSchema
  querystring?: JsonSchema
  headers?: JsonSchema
  body?: JsonSchema
}

export interface Operation {
  method: string
  /** As the document writes it: /v1/products/{id} */
  path: string
  operationId: string
  access: Access
  parts: RequestParts
  /** status code (or "default") → response object */
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>
  components: { schemas: Record<string, JsonSchema>, headers?: Record<string, { required?: boolean, schema?: JsonSchema }> }
}

const METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete'])

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function documentOf (app: FastifyInstance): OpenApiDocument {
  // A deep copy: tests must not mutate the document the app serves.
  return structuredClone(app.swagger()) as unknown as OpenApiDocument
}

/** Inlines `#/components/schemas/X` references (the document's schemas are not recursive). */
export function deref (document: OpenApiDocument, schema: unknown, depth = 0): unknown {
  if (depth > 32) throw new Error('schema nesting too deep: recursive $ref?')
  if (Array.isArray(schema)) return schema.map((item) => deref(document, item, depth + 1))
  if (!isRecord(schema)) return schema
  const ref = schema.$ref
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '')
    const target = document.components.schemas[name]
    if (target === undefined) throw new Error(`unresolved ${ref}`)
    const { $ref: _ref, ...siblings } = schema
    return deref(document, { ...target, ...siblings }, depth + 1)
  }
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) copy[key] = deref(document, value, depth + 1)
  return copy
}

interface Parameter { in: string, name: string, required?: boolean, schema?: JsonSchema }

function partFromParameters (document: OpenApiDocument, parameters: Parameter[], location: string): JsonSchema | undefined {
  const own = parameters.filter((parameter) => parameter.in === location)
  if (own.length === 0) return undefined
  const properties: Record<string, unknown> = {}
  const required: string[] = []
  for (const parameter of own) {
    properties[parameter.name] = deref(document, parameter.schema ?? {})
    if (parameter.required === true) required.push(parameter.name)
  }
  // Headers are open by nature (every client sends more); params and query strings are closed like the routes.
  return { type: 'object', properties, required, additionalProperties: location === 'header' }
}

export function operationsOf (document: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.has(method) || !isRecord(raw)) continue
      const parameters = (Array.isArray(raw.parameters) ? raw.parameters : []) as Parameter[]
      const requestBody = raw.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined
      const bodySchema = requestBody?.content?.['application/json']?.schema
      const parts: RequestParts = {}
      const params = partFromParameters(document, parameters, 'path')
      const querystring = partFromParameters(document, parameters, 'query')
      const headers = partFromParameters(document, parameters, 'header')
      if (params !== undefined) parts.params = params
      if (querystring !== undefined) parts.querystring = querystring
      if (headers !== undefined) parts.headers = headers
      if (bodySchema !== undefined) parts.body = deref(document, bodySchema) as JsonSchema
      const access = raw['x-access']
      operations.push({
        method,
        path,
        operationId: String(raw.operationId),
        access: access === 'admin' || access === 'signed-in' ? access : 'anyone',
        parts,
        responses: (raw.responses ?? {}) as Operation['responses']
      })
    }
  }
  return operations
}

/** Lone UTF-16 surrogates cannot be percent-encoded; a client's UTF-8 encoder sends U+FFFD instead. */
function wellFormed (text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8')
}

/** /v1/products/{id} + { id } → /v1/products/<encoded id> */
export function fillPath (path: string, params: Record<string, unknown>): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = params[name]
    return pathSegment(encodeURIComponent(wellFormed(typeof value === 'string' ? value : JSON.stringify(value) ?? '')))
  })
}

/**
 * A segment the URL parser would drop or resolve (empty, `.`, `..`; `%2e` counts as a dot) cannot reach the
 * server through app.inject: `/v1/orders/.` arrives as `/v1/orders/`, the list. It gets a `-` appended, which
 * keeps it just as invalid a parameter, so the request still tests what the schema does with it.
 */
function pathSegment (encoded: string): string {
  return /^(|\.|\.\.)$/.test(encoded.replace(/%2e/gi, '.')) ? `${encoded}-` : encoded
}

/** Query string from a value object: arrays repeat the key, everything else is String()-ed. */
export function toQuery (values: Record<string, unknown> | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined) continue
    const text = (item: unknown): string => wellFormed(typeof item === 'string' ? item : JSON.stringify(item) ?? '')
    query[wellFormed(key)] = Array.isArray(value) ? value.map(text) : text(value)
  }
  return query
}
