import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function methodNotAllowedTests (t: Test): Promise<void> {
  // The default configuration for the first two tests; the last needs CORS on, which is read when the app is built.
  const { app } = await buildTestApp(t)
  const { app: withCors } = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://shop.example' } })

  t.test('a known path with a method it does not serve is a 405 problem with allow', async (t) => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/v1/products', 'GET, HEAD, POST'],
      ['PUT', '/v1/products/', 'GET, HEAD, POST'],
      ['POST', '/v1/products/0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f', 'DELETE, GET, HEAD, PATCH'],
      ['GET', '/v1/orders/0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f/cancel', 'POST'],
      ['DELETE', '/v1/users/me', 'GET, HEAD, PATCH'],
      ['POST', '/health/live', 'GET, HEAD']
    ]
    for (const [method, url, allow] of cases) {
      const response = await app.inject({ method: method as 'GET', url })
      t.equal(response.statusCode, 405, `${method} ${url}`)
      t.equal(response.headers.allow, allow, `${method} ${url}: allow`)
      t.match(response.headers['content-type'], /^application\/problem\+json/)
      t.match(response.json(), { type: /\/problems\/method-not-allowed$/ })
      t.hasStrict(response.json(), { status: 405, title: 'Method Not Allowed', detail: `${method} is not supported here; use ${allow}` })
    }
  })

  t.test('an unknown path stays a 404, whatever the method', async (t) => {
    for (const [method, url] of [['GET', '/v1/nothing'], ['PUT', '/v1/products/x/y'], ['DELETE', '/nowhere'], ['GET', '/v1/orders/x/cancel/more']]) {
      const response = await app.inject({ method: method as 'GET', url: url ?? '' })
      t.equal(response.statusCode, 404, `${method} ${url}`)
      t.equal(response.headers.allow, undefined)
    }
  })

  t.test('the catch-all OPTIONS route of CORS neither turns unknown paths into 405s nor joins allow', async (t) => {
    t.equal((await withCors.inject({ method: 'GET', url: '/v1/nothing' })).statusCode, 404)
    const wrong = await withCors.inject({ method: 'PUT', url: '/v1/products' })
    t.equal(wrong.statusCode, 405)
    t.equal(wrong.headers.allow, 'GET, HEAD, POST')
  })
}

await runAlone(import.meta.url, methodNotAllowedTests)
