/**
 * The document and the server must not disagree on what a generated client relies on: which parameters are
 * required and their defaults, enum values, request media types, what a 304 carries, and the examples.
 * Every check is driven from the generated document, so a new operation or parameter is covered without
 * editing a list here.
 */
import type { Test } from 'tap'
import type { InjectOptions } from 'fastify'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { createTestUser } from '../support/users.js'
import { buildTestApp } from '../helper.js'
import { createProduct, uniqueSku } from '../support/fixtures.js'
import { PROBLEM_TYPE_BASE } from '../../schemas/problem.js'
import { documentOf, fillPath } from './support/document.js'
import { runAlone } from '../support/test-file.js'

const Ajv2020 = Ajv2020Module.default
const addFormats = addFormatsModule.default

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function documentAgreesTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)
  const document = documentOf(app) as unknown as {
    paths: Record<string, Record<string, Operation>>
    components: { schemas: Record<string, unknown>, examples: Record<string, { value: Record<string, unknown> }> }
  }
  const admin = await createTestUser(app, 'admin')
  const product = await createProduct(app, admin, { stock: 1000 })

  interface Parameter { in: string, name: string, required?: boolean, schema: { default?: unknown, enum?: unknown[] } }
  interface Operation {
    operationId: string
    description?: string
    parameters?: Parameter[]
    requestBody?: { content: Record<string, unknown> }
    responses: Record<string, { description: string, content?: Record<string, { examples?: Record<string, { $ref: string }> }> }>
  }

  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase() as InjectOptions['method'], operation })))

  /** A request for the operation: an admin's token, an existing product's id for any path parameter. */
  function request (path: string, method: InjectOptions['method'], query: Record<string, string> = {}): InjectOptions {
    return { method, url: fillPath(path, { id: product.id }), query, headers: admin.headers }
  }

  t.test('a parameter with a default is optional in the document, and leaving it out means the default', async (t) => {
    let checked = 0
    for (const { path, method, operation } of operations) {
      const defaulted = (operation.parameters ?? []).filter((parameter) => parameter.schema.default !== undefined)
      for (const parameter of defaulted) t.equal(parameter.required, false, `${operation.operationId}: ${parameter.name} is optional`)
      const query = Object.fromEntries(defaulted.filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, String(parameter.schema.default)]))
      if (method !== 'GET' || Object.keys(query).length === 0) continue
      const omitted = await app.inject(request(path, method))
      const explicit = await app.inject(request(path, method, query))
      t.equal(omitted.statusCode, 200, `${operation.operationId} without ${Object.keys(query).join(', ')}`)
      t.same(omitted.json(), explicit.json(), `${operation.operationId}: omitted = the documented defaults ${JSON.stringify(query)}`)
      checked++
    }
    t.ok(checked >= 3, `every list with defaults was driven (${checked})`)
  })

  t.test('every enum value the document lists is accepted, and a wrong one is a 400 naming them all', async (t) => {
    let checked = 0
    for (const { path, method, operation } of operations) {
      for (const parameter of operation.parameters ?? []) {
        const values = parameter.schema.enum
        if (parameter.in !== 'query' || values === undefined || method !== 'GET') continue
        for (const value of values) {
          t.equal((await app.inject(request(path, method, { [parameter.name]: String(value) }))).statusCode, 200, `${operation.operationId} ${parameter.name}=${String(value)}`)
        }
        const wrong = await app.inject(request(path, method, { [parameter.name]: 'no-such-value' }))
        t.equal(wrong.statusCode, 400)
        const { errors } = wrong.json<{ errors: Array<{ field: string, message: string }> }>()
        t.same(errors, [{ field: `/querystring/${parameter.name}`, message: `must be one of: ${values.map(String).join(', ')}` }], 'one error that lists the allowed values')
        checked++
      }
    }
    t.ok(checked >= 1, 'sort on GET /v1/products at least')
    t.notOk(JSON.stringify(document).includes('"anyOf"'), 'no anyOf anywhere: unions of literals are plain enums')
  })

  t.test('a body in another media type than the documented one is a 415 that names it', async (t) => {
    for (const { path, method, operation } of operations) {
      if (operation.requestBody === undefined) continue
      const mediaTypes = Object.keys(operation.requestBody.content)
      t.same(mediaTypes, ['application/json'], `${operation.operationId} takes JSON`)
      const response = await app.inject({ ...request(path, method), headers: { ...admin.headers, 'content-type': 'text/plain' }, payload: 'x' })
      t.equal(response.statusCode, 415, operation.operationId)
      t.hasStrict(response.json(), { type: `${PROBLEM_TYPE_BASE}unsupported-media-type` }, operation.operationId)
      t.match(response.json(), { detail: /Send the body as application\/json \(got text\/plain\)/ })
    }
  })

  t.test('a 304 is documented without content and sent without a body, content-type or content-length', async (t) => {
    const notModified = operations.filter(({ operation }) => operation.responses['304'] !== undefined)
    t.ok(notModified.length > 0)
    for (const { path, method, operation } of notModified) {
      t.equal(operation.responses['304']?.content, undefined, `${operation.operationId}: no content documented`)
      const first = await app.inject(request(path, method))
      const etag = String(first.headers.etag)
      const response = await app.inject({ ...request(path, method), headers: { ...admin.headers, 'if-none-match': etag } })
      t.equal(response.statusCode, 304)
      t.equal(response.body, '')
      t.equal(response.headers['content-type'], undefined, 'no content-type (RFC 9110 §15.4.5)')
      t.equal(response.headers['content-length'], undefined, 'no content-length of a serialized null (RFC 9110 §8.6)')
      t.equal(response.headers.etag, etag, 'the current etag')
    }
  })

  t.test('every response has a real description, every operation a description', async (t) => {
    for (const { operation } of operations) {
      t.ok((operation.description ?? '').length > 20, `${operation.operationId} has a description`)
      for (const [status, response] of Object.entries(operation.responses)) {
        t.not(response.description, 'Default Response', `${operation.operationId} ${status}`)
      }
    }
  })

  t.test('every problem response has an example of each type it can carry, with that type and its status', async (t) => {
    const ajv = new Ajv2020({ strict: false })
    addFormats(ajv)
    ajv.addSchema({ $id: 'https://fastify-shop-api.example/openapi.json', components: document.components })
    const validate = ajv.compile({ $ref: 'https://fastify-shop-api.example/openapi.json#/components/schemas/Problem' })
    const used = new Set<string>()
    for (const { operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const media = response.content?.['application/problem+json']
        if (media === undefined) continue
        const examples = Object.entries(media.examples ?? {})
        t.ok(examples.length > 0, `${operation.operationId} ${status} has examples`)
        for (const [slug, reference] of examples) {
          const name = reference.$ref.replace('#/components/examples/', '')
          used.add(name)
          const value = document.components.examples[name]?.value
          t.hasStrict(value, { type: `${PROBLEM_TYPE_BASE}${slug}`, status: Number(status) }, `${operation.operationId} ${status}: ${slug}`)
        }
      }
    }
    for (const [name, example] of Object.entries(document.components.examples)) {
      t.ok(validate(example.value), `example ${name} is a valid Problem`)
      t.ok(used.has(name), `example ${name} is used`)
    }
    t.notOk(JSON.stringify(document).includes('additionalProp1'))
  })

  t.test('the create-product example Swagger UI prefills creates a plausible product', async (t) => {
    const body = document.paths['/v1/products']?.post?.requestBody?.content['application/json'] as { example?: Record<string, unknown> }
    t.match(body.example, { sku: /^[A-Z0-9-]+$/, name: /\w+ \w+/, priceCents: Number })
    t.ok(Number(body.example?.priceCents) < 100_000, 'a realistic price, not the int32 maximum')
    // Its own sku: the example's may exist already in a shared database.
    const created = await app.inject({ method: 'POST', url: '/v1/products', headers: admin.headers, payload: { ...body.example, sku: uniqueSku() } })
    t.equal(created.statusCode, 201, 'the example is a valid request')
    for (const { operation } of operations) {
      if (operation.requestBody === undefined) continue
      const media = operation.requestBody.content['application/json'] as { example?: unknown }
      t.ok(media.example !== undefined, `${operation.operationId} has a request example`)
    }
  })
}

await runAlone(import.meta.url, documentAgreesTests)
