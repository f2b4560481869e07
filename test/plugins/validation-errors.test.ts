import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { FULL_VALIDATION_MAX_VALUES } from '../../src/validation.js'
import { MAX_FIELD_ERRORS } from '../../src/problem.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function validationErrorsTests (t: Test): Promise<void> {
  // One app for the file: each test makes its own users.
  const { app } = await buildTestApp(t)

  t.test('a body reports every broken field at once; pattern, maxLength and minimum stay checked', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const response = await app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: admin.headers,
      payload: { sku: 'lower case', name: '', description: 'x'.repeat(2001), priceCents: -1, stock: 'many', colour: 'blue' }
    })
    t.equal(response.statusCode, 400)
    const body = response.json<{ errors: Array<{ field: string, message: string }>, detail: string }>()
    t.same(body.errors.map((error) => error.field).sort(), [
      '/body/colour', '/body/description', '/body/name', '/body/priceCents', '/body/sku', '/body/stock'
    ], 'one error per broken field, in one answer')
    t.same(body.errors[0], { field: '/body/colour', message: 'must NOT have additional property \'colour\'' })
    t.ok(body.errors.some((error) => error.field === '/body/sku' && /pattern/.test(error.message)), 'the pattern is checked')
    t.ok(body.errors.some((error) => error.field === '/body/description' && /2000/.test(error.message)), 'maxLength is checked')
    t.match(body.detail, /body\/priceCents must be >= 0/)
  })

  t.test(`at most ${MAX_FIELD_ERRORS} errors are listed, and the detail says how many more there were`, async (t) => {
    const customer = await createTestUser(app)
    // 20 lines is the default cap: 20 lines × 2 broken fields = 40 errors, within the full-validation bound.
    const items = Array.from({ length: 20 }, () => ({ productId: 'not-a-uuid', quantity: 0 }))
    const response = await app.inject({ method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items } })
    t.equal(response.statusCode, 400)
    const body = response.json<{ errors: unknown[], detail: string }>()
    t.equal(body.errors.length, MAX_FIELD_ERRORS)
    t.match(body.detail, /\(and 20 more\)$/)
  })

  t.test('a large invalid body gets its first error only: the second, complete pass is bounded', async (t) => {
    const customer = await createTestUser(app)
    const items = Array.from({ length: FULL_VALIDATION_MAX_VALUES }, () => ({}))
    const started = performance.now()
    const response = await app.inject({ method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items } })
    const elapsed = performance.now() - started
    t.equal(response.statusCode, 400)
    t.equal(response.json<{ errors: unknown[] }>().errors.length, 1, 'the first error (too many lines)')
    t.ok(elapsed < 1000, `answered in ${elapsed.toFixed(0)} ms`)
  })

  t.test('query strings still stop at their first error', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/products', query: { limit: '0', page: '0' } })
    t.equal(response.statusCode, 400)
    t.equal(response.json<{ errors: unknown[] }>().errors.length, 1)
  })
}

await runAlone(import.meta.url, validationErrorsTests)
