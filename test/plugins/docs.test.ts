import type { Test } from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'
import { problems } from '../../schemas/responses.js'
import { runAlone } from '../support/test-file.js'

/** A route documenting problem responses, which answers with the response statuses Fastify compiled for it. */
function problemDocsRoute (app: FastifyInstance) {
  app.get('/test/problem-docs', {
    schema: { response: { 200: Type.Object({ compiled: Type.Array(Type.String()) }), ...problems(404) } }
  }, async (request) => ({ compiled: Object.keys(request.routeOptions.schema?.response ?? {}) }))
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function docsTests (t: Test): Promise<void> {
  // One app with the docs on (the default) and one with them off.
  const { app } = await buildTestApp(t, { routes: problemDocsRoute })
  const { app: off } = await buildTestApp(t, { env: { DOCS_ENABLED: 'false' } })

  t.test('/docs/json is a valid OpenAPI 3 document with named shared schemas and the bearer scheme', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' })
    t.equal(response.statusCode, 200)
    const document = response.json()
    t.match(document.openapi, /^3\./)
    await SwaggerParser.validate(structuredClone(document))
    const names = Object.keys(document.components.schemas)
    for (const name of ['Problem', 'FieldError', 'Uuid', 'Pagination']) t.ok(names.includes(name), `component ${name}`)
    t.notOk(names.some((name) => name.startsWith('def-')), 'no def-N names')
    t.hasStrict(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    t.ok(document.paths['/health/ready'], 'routes are documented')
    t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/docs')), 'the docs routes themselves are hidden')
  })

  t.test('Swagger UI is served at /docs', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs/' })
    t.equal(response.statusCode, 200)
    t.match(response.headers['content-type'], /^text\/html(;|$)/)
    t.match(response.body, /swagger-ui/)
  })

  t.test('DOCS_ENABLED=false turns the UI and the JSON route off', async (t) => {
    t.equal((await off.inject({ method: 'GET', url: '/docs' })).statusCode, 404)
    t.equal((await off.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404)
  })

  t.test('the bare address leads to the docs, when they are on', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/' })
    t.equal(response.statusCode, 302)
    t.equal(response.headers.location, '/docs')
    t.equal((await off.inject({ method: 'GET', url: '/' })).statusCode, 404)
  })

  t.test('problem responses are in the document but not compiled for the route', async (t) => {
    const runtime = await app.inject({ method: 'GET', url: '/test/problem-docs' })
    t.same(runtime.json(), { compiled: ['200'] }, 'Fastify compiles the success response only')
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    const responses = document.paths['/test/problem-docs'].get.responses
    t.same(Object.keys(responses).sort(), ['200', '404', '429', '500', '503'])
    t.same(responses['404'].content['application/problem+json'].schema, { $ref: '#/components/schemas/Problem' })
    const problem = await app.inject({ method: 'GET', url: '/v1/products/00000000-0000-4000-8000-000000000000' })
    t.equal(problem.statusCode, 404)
    t.has(problem.json(), { status: 404, title: 'Not Found', requestId: problem.headers['x-request-id'] }, 'and problem answers are still whole')
  })
}

await runAlone(import.meta.url, docsTests)
