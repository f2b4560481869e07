/**
 * Contract test: for every operation in the generated OpenAPI document, real requests (the happy path and
 * every documented error this test can provoke) whose answers must be documented: status, media type,
 * body schema and always-sent headers. An operation without a scenario here fails the test, so a new route
 * cannot skip it; an undocumented status or shape fails it too.
 */
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { createTestUser, type TestUser } from '../support/users.js'
import { buildTestApp } from '../helper.js'
import { createProduct, placeOrder, uniqueSku } from '../support/fixtures.js'
import { documentOf, operationsOf, type Operation } from './support/document.js'
import { Contract } from './support/contract.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function contractTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)
  const document = documentOf(app)
  const operations = operationsOf(document)
  const contract = new Contract(document)
  const byId = new Map(operations.map((operation) => [operation.operationId, operation]))

  const admin = await createTestUser(app, 'admin')
  const customer = await createTestUser(app, 'customer')
  const other = await createTestUser(app, 'customer')
  const anonymous = {}
  const json = { 'content-type': 'application/json' }
  const textPlain = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'text/plain' })
  const tooLarge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) })

  /** operationId → statuses seen; compared with the documented ones at the end. */
  const triggered = new Map<string, Set<number>>()

  interface Step {
    label: string
    request: InjectOptions
    expect: number
  }

  async function run (t: Test, operationId: string, steps: Step[]): Promise<LightMyRequestResponse[]> {
    const operation = byId.get(operationId)
    if (operation === undefined) throw new Error(`no operation ${operationId} in the document`)
    const responses: LightMyRequestResponse[] = []
    for (const step of steps) {
      const response = await app.inject(step.request)
      responses.push(response)
      t.equal(response.statusCode, step.expect, `${step.label}: status${response.statusCode === step.expect ? '' : ` (body ${response.body.slice(0, 200)})`}`)
      t.same(contract.violations(operation, response), [], `${step.label}: as documented`)
      const seen = triggered.get(operationId) ?? new Set<number>()
      seen.add(response.statusCode)
      triggered.set(operationId, seen)
    }
    return responses
  }

  async function registeredUser (): Promise<{ email: string, password: string, refreshToken: string, user: TestUser }> {
    const email = `contract-${randomUUID()}@example.test`
    const password = 'contract password 123'
    await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Contract' } })
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
    const body = login.json<{ accessToken: string, refreshToken: string, user: { id: string } }>()
    const { sid } = JSON.parse(Buffer.from(body.accessToken.split('.')[1] ?? '', 'base64url').toString()) as { sid: string }
    const user: TestUser = { id: body.user.id, email, role: 'customer', token: body.accessToken, sessionId: sid, headers: { authorization: `Bearer ${body.accessToken}` } }
    return { email, password, refreshToken: body.refreshToken, user }
  }

  t.test('health probes', async (t) => {
    await run(t, 'getHealthLive', [{ label: 'live', request: { method: 'GET', url: '/health/live' }, expect: 200 }])
    await run(t, 'getHealthReady', [{ label: 'ready', request: { method: 'GET', url: '/health/ready' }, expect: 200 }])
    await run(t, 'getHealth', [{ label: 'health', request: { method: 'GET', url: '/health' }, expect: 200 }])
  })

  t.test('auth: register, login, refresh, logout', async (t) => {
    const email = `contract-${randomUUID()}@example.test`
    const password = 'contract password 123'
    await run(t, 'postAuthRegister', [
      { label: 'new account', request: { method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Contract' } }, expect: 201 },
      { label: 'email taken (other case)', request: { method: 'POST', url: '/v1/auth/register', payload: { email: email.toUpperCase(), password, name: 'Again' } }, expect: 409 },
      { label: 'invalid email', request: { method: 'POST', url: '/v1/auth/register', payload: { email: 'nope', password, name: 'X' } }, expect: 400 },
      { label: 'malformed JSON', request: { method: 'POST', url: '/v1/auth/register', headers: json, payload: '{"email":' }, expect: 400 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/auth/register', headers: textPlain({}), payload: 'email=a' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/auth/register', headers: json, payload: tooLarge }, expect: 413 }
    ])
    const [login] = await run(t, 'postAuthLogin', [
      { label: 'right password', request: { method: 'POST', url: '/v1/auth/login', payload: { email, password } }, expect: 200 },
      { label: 'wrong password', request: { method: 'POST', url: '/v1/auth/login', payload: { email, password: 'wrong password 1' } }, expect: 401 },
      { label: 'unknown email', request: { method: 'POST', url: '/v1/auth/login', payload: { email: `x-${email}`, password } }, expect: 401 },
      { label: 'missing password', request: { method: 'POST', url: '/v1/auth/login', payload: { email } }, expect: 400 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/auth/login', headers: textPlain({}), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/auth/login', headers: json, payload: tooLarge }, expect: 413 }
    ])
    const first = login?.json<{ refreshToken: string }>().refreshToken ?? ''
    const [refreshed] = await run(t, 'postAuthRefresh', [
      { label: 'fresh token', request: { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: first } }, expect: 200 },
      // Within REFRESH_REUSE_GRACE_SECONDS (a second tab): the same successor, not a revocation.
      { label: 'same token again at once', request: { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: first } }, expect: 200 },
      { label: 'unknown token', request: { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'A'.repeat(43) } }, expect: 401 },
      { label: 'empty token', request: { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: '' } }, expect: 400 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/auth/refresh', headers: textPlain({}), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/auth/refresh', headers: json, payload: tooLarge }, expect: 413 }
    ])
    const second = refreshed?.json<{ refreshToken: string }>().refreshToken ?? ''
    await run(t, 'postAuthLogout', [
      { label: 'sign out', request: { method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: second } }, expect: 204 },
      { label: 'twice', request: { method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: second } }, expect: 204 },
      { label: 'no token', request: { method: 'POST', url: '/v1/auth/logout', payload: {} }, expect: 400 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/auth/logout', headers: textPlain({}), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/auth/logout', headers: json, payload: tooLarge }, expect: 413 }
    ])
  })

  t.test('users', async (t) => {
    const account = await registeredUser()
    await run(t, 'getUsersMe', [
      { label: 'signed in', request: { method: 'GET', url: '/v1/users/me', headers: customer.headers }, expect: 200 },
      { label: 'anonymous', request: { method: 'GET', url: '/v1/users/me', headers: anonymous }, expect: 401 }
    ])
    await run(t, 'patchUsersMe', [
      { label: 'rename', request: { method: 'PATCH', url: '/v1/users/me', headers: customer.headers, payload: { name: 'Renamed' } }, expect: 200 },
      // The wrong one first: a password change ends every session of the account, this token's too.
      { label: 'new password with a wrong current one', request: { method: 'PATCH', url: '/v1/users/me', headers: account.user.headers, payload: { password: 'another password 789', currentPassword: 'not it at all' } }, expect: 403 },
      { label: 'new password with the right current one', request: { method: 'PATCH', url: '/v1/users/me', headers: account.user.headers, payload: { password: 'a new password 456', currentPassword: account.password } }, expect: 200 },
      { label: 'empty body', request: { method: 'PATCH', url: '/v1/users/me', headers: customer.headers, payload: {} }, expect: 400 },
      { label: 'anonymous', request: { method: 'PATCH', url: '/v1/users/me', headers: anonymous, payload: { name: 'X' } }, expect: 401 },
      { label: 'not JSON', request: { method: 'PATCH', url: '/v1/users/me', headers: textPlain(customer.headers), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'PATCH', url: '/v1/users/me', headers: { ...customer.headers, ...json }, payload: tooLarge }, expect: 413 }
    ])
    await run(t, 'getUsers', [
      { label: 'admin', request: { method: 'GET', url: '/v1/users', query: { limit: '5' }, headers: admin.headers }, expect: 200 },
      { label: 'limit over 100', request: { method: 'GET', url: '/v1/users', query: { limit: '101' }, headers: admin.headers }, expect: 400 },
      { label: 'customer', request: { method: 'GET', url: '/v1/users', headers: customer.headers }, expect: 403 },
      { label: 'anonymous', request: { method: 'GET', url: '/v1/users' }, expect: 401 }
    ])
    // A role change ends the target's sessions, so not one whose token later steps use.
    const roleTarget = await createTestUser(app)
    await run(t, 'patchUsersById', [
      { label: 'promote', request: { method: 'PATCH', url: `/v1/users/${roleTarget.id}`, headers: admin.headers, payload: { role: 'admin' } }, expect: 200 },
      { label: 'demote', request: { method: 'PATCH', url: `/v1/users/${roleTarget.id}`, headers: admin.headers, payload: { role: 'customer' } }, expect: 200 },
      { label: 'unknown user', request: { method: 'PATCH', url: `/v1/users/${randomUUID()}`, headers: admin.headers, payload: { role: 'admin' } }, expect: 404 },
      { label: 'bad role', request: { method: 'PATCH', url: `/v1/users/${roleTarget.id}`, headers: admin.headers, payload: { role: 'root' } }, expect: 400 },
      { label: 'bad id', request: { method: 'PATCH', url: '/v1/users/not-a-uuid', headers: admin.headers, payload: { role: 'admin' } }, expect: 400 },
      { label: 'customer', request: { method: 'PATCH', url: `/v1/users/${other.id}`, headers: customer.headers, payload: { role: 'admin' } }, expect: 403 },
      { label: 'anonymous', request: { method: 'PATCH', url: `/v1/users/${other.id}`, payload: { role: 'admin' } }, expect: 401 },
      { label: 'not JSON', request: { method: 'PATCH', url: `/v1/users/${other.id}`, headers: textPlain(admin.headers), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'PATCH', url: `/v1/users/${other.id}`, headers: { ...admin.headers, ...json }, payload: tooLarge }, expect: 413 }
    ])
  })

  t.test('products', async (t) => {
    const sku = uniqueSku()
    const [created] = await run(t, 'postProducts', [
      { label: 'create', request: { method: 'POST', url: '/v1/products', headers: admin.headers, payload: { sku, name: 'Contract mug', description: 'Blue', priceCents: 1250, stock: 3 } }, expect: 201 },
      { label: 'sku taken', request: { method: 'POST', url: '/v1/products', headers: admin.headers, payload: { sku, name: 'Again', priceCents: 1, stock: 1 } }, expect: 409 },
      { label: 'negative price', request: { method: 'POST', url: '/v1/products', headers: admin.headers, payload: { sku: uniqueSku(), name: 'X', priceCents: -1, stock: 1 } }, expect: 400 },
      { label: 'customer', request: { method: 'POST', url: '/v1/products', headers: customer.headers, payload: { sku: uniqueSku(), name: 'X', priceCents: 1, stock: 1 } }, expect: 403 },
      { label: 'anonymous', request: { method: 'POST', url: '/v1/products', payload: { sku: uniqueSku(), name: 'X', priceCents: 1, stock: 1 } }, expect: 401 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/products', headers: textPlain(admin.headers), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/products', headers: { ...admin.headers, ...json }, payload: tooLarge }, expect: 413 }
    ])
    const product = created?.json<{ id: string }>() ?? { id: '' }
    const location = String(created?.headers.location)
    t.equal(location, `/v1/products/${product.id}`, 'location of the new product')
    await run(t, 'getProducts', [
      { label: 'default list', request: { method: 'GET', url: '/v1/products' }, expect: 200 },
      { label: 'filtered and sorted', request: { method: 'GET', url: '/v1/products', query: { q: 'contract', minPrice: '1', maxPrice: '5000', inStock: 'true', sort: 'priceCents', page: '1', limit: '10' } }, expect: 200 },
      { label: 'unknown sort', request: { method: 'GET', url: '/v1/products', query: { sort: 'price; DROP TABLE products' } }, expect: 400 },
      { label: 'unknown parameter', request: { method: 'GET', url: '/v1/products', query: { admin: 'true' } }, expect: 400 }
    ])
    const [read] = await run(t, 'getProductsById', [
      { label: 'read', request: { method: 'GET', url: location }, expect: 200 },
      { label: 'bad id', request: { method: 'GET', url: '/v1/products/not-a-uuid' }, expect: 400 },
      { label: 'unknown id', request: { method: 'GET', url: `/v1/products/${randomUUID()}` }, expect: 404 }
    ])
    const etag = String(read?.headers.etag)
    await run(t, 'getProductsById', [{ label: 'not modified', request: { method: 'GET', url: location, headers: { 'if-none-match': etag } }, expect: 304 }])
    await run(t, 'patchProductsById', [
      { label: 'update with a current if-match', request: { method: 'PATCH', url: location, headers: { ...admin.headers, 'if-match': etag }, payload: { stock: 50 } }, expect: 200 },
      { label: 'stale if-match', request: { method: 'PATCH', url: location, headers: { ...admin.headers, 'if-match': etag }, payload: { stock: 51 } }, expect: 412 },
      { label: 'sku of another product', request: { method: 'PATCH', url: location, headers: admin.headers, payload: { sku: (await createProduct(app, admin, { stock: 1000 })).sku } }, expect: 409 },
      { label: 'empty patch', request: { method: 'PATCH', url: location, headers: admin.headers, payload: {} }, expect: 400 },
      { label: 'unknown id', request: { method: 'PATCH', url: `/v1/products/${randomUUID()}`, headers: admin.headers, payload: { stock: 1 } }, expect: 404 },
      { label: 'customer', request: { method: 'PATCH', url: location, headers: customer.headers, payload: { stock: 1 } }, expect: 403 },
      { label: 'anonymous', request: { method: 'PATCH', url: location, payload: { stock: 1 } }, expect: 401 },
      { label: 'not JSON', request: { method: 'PATCH', url: location, headers: textPlain(admin.headers), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'PATCH', url: location, headers: { ...admin.headers, ...json }, payload: tooLarge }, expect: 413 }
    ])
    const doomed = await createProduct(app, admin, { stock: 1000 })
    await run(t, 'deleteProductsById', [
      { label: 'customer', request: { method: 'DELETE', url: `/v1/products/${doomed.id}`, headers: customer.headers }, expect: 403 },
      { label: 'anonymous', request: { method: 'DELETE', url: `/v1/products/${doomed.id}` }, expect: 401 },
      { label: 'archive', request: { method: 'DELETE', url: `/v1/products/${doomed.id}`, headers: admin.headers }, expect: 204 },
      { label: 'already archived', request: { method: 'DELETE', url: `/v1/products/${doomed.id}`, headers: admin.headers }, expect: 404 },
      { label: 'bad id', request: { method: 'DELETE', url: '/v1/products/not-a-uuid', headers: admin.headers }, expect: 400 }
    ])
  })

  t.test('orders', async (t) => {
    const product = await createProduct(app, admin, { stock: 5, priceCents: 300 })
    const archived = await createProduct(app, admin, { stock: 1000 })
    await app.inject({ method: 'DELETE', url: `/v1/products/${archived.id}`, headers: admin.headers })
    const items = [{ productId: product.id, quantity: 1 }]
    const key = { 'idempotency-key': `contract-${randomUUID()}` }
    const caps = app.config.orderCaps
    // Full lines of unknown products: the size cap is judged before the catalog is read.
    const tooManyUnits = Array.from({ length: Math.floor(caps.maxUnits / caps.maxUnitsPerLine) + 1 }, () => ({ productId: randomUUID(), quantity: caps.maxUnitsPerLine }))
    const [placed] = await run(t, 'postOrders', [
      { label: 'place', request: { method: 'POST', url: '/v1/orders', headers: { ...customer.headers, ...key }, payload: { items } }, expect: 201 },
      { label: 'idempotent replay', request: { method: 'POST', url: '/v1/orders', headers: { ...customer.headers, ...key }, payload: { items } }, expect: 201 },
      { label: 'same key, other body', request: { method: 'POST', url: '/v1/orders', headers: { ...customer.headers, ...key }, payload: { items: [{ productId: product.id, quantity: 2 }] } }, expect: 422 },
      { label: 'more than in stock', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: [{ productId: product.id, quantity: 6 }] } }, expect: 409 },
      { label: 'more units than one order may hold', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: tooManyUnits } }, expect: 422 },
      { label: 'archived product', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: [{ productId: archived.id, quantity: 1 }] } }, expect: 422 },
      { label: 'unknown product', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: [{ productId: randomUUID(), quantity: 1 }] } }, expect: 422 },
      { label: 'no lines', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: [] } }, expect: 400 },
      { label: 'duplicate lines', request: { method: 'POST', url: '/v1/orders', headers: customer.headers, payload: { items: [...items, ...items] } }, expect: 400 },
      { label: 'anonymous', request: { method: 'POST', url: '/v1/orders', payload: { items } }, expect: 401 },
      { label: 'not JSON', request: { method: 'POST', url: '/v1/orders', headers: textPlain(customer.headers), payload: 'x' }, expect: 415 },
      { label: 'over 1 MiB', request: { method: 'POST', url: '/v1/orders', headers: { ...customer.headers, ...json }, payload: tooLarge }, expect: 413 }
    ])
    const order = placed?.json<{ id: string }>() ?? { id: '' }
    const foreign = (await placeOrder(app, other, product.id)).json<{ id: string }>()
    await run(t, 'getOrders', [
      { label: 'own orders', request: { method: 'GET', url: '/v1/orders', headers: customer.headers }, expect: 200 },
      { label: 'admin, one user', request: { method: 'GET', url: '/v1/orders', query: { userId: customer.id, limit: '5' }, headers: admin.headers }, expect: 200 },
      { label: 'bad userId', request: { method: 'GET', url: '/v1/orders', query: { userId: 'nope' }, headers: admin.headers }, expect: 400 },
      { label: 'anonymous', request: { method: 'GET', url: '/v1/orders' }, expect: 401 }
    ])
    await run(t, 'getOrdersById', [
      { label: 'own order', request: { method: 'GET', url: `/v1/orders/${order.id}`, headers: customer.headers }, expect: 200 },
      { label: 'another user\'s order', request: { method: 'GET', url: `/v1/orders/${foreign.id}`, headers: customer.headers }, expect: 404 },
      { label: 'bad id', request: { method: 'GET', url: '/v1/orders/not-a-uuid', headers: customer.headers }, expect: 400 },
      { label: 'anonymous', request: { method: 'GET', url: `/v1/orders/${order.id}` }, expect: 401 }
    ])
    await run(t, 'postOrdersByIdCancel', [
      { label: 'cancel', request: { method: 'POST', url: `/v1/orders/${order.id}/cancel`, headers: customer.headers }, expect: 200 },
      { label: 'cancel again', request: { method: 'POST', url: `/v1/orders/${order.id}/cancel`, headers: customer.headers }, expect: 409 },
      { label: 'another user\'s order', request: { method: 'POST', url: `/v1/orders/${foreign.id}/cancel`, headers: customer.headers }, expect: 404 },
      { label: 'bad id', request: { method: 'POST', url: '/v1/orders/not-a-uuid/cancel', headers: customer.headers }, expect: 400 },
      { label: 'anonymous', request: { method: 'POST', url: `/v1/orders/${order.id}/cancel` }, expect: 401 }
    ])
  })

  t.test('rate-limited answers are documented too', async (t) => {
    const { app: limited } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '1', AUTH_RATE_LIMIT_MAX: '1' } })
    const cases: Array<[string, InjectOptions]> = [
      ['getProducts', { method: 'GET', url: '/v1/products' }],
      ['postAuthLogin', { method: 'POST', url: '/v1/auth/login', payload: { email: 'nobody@example.test', password: 'whatever-1' } }]
    ]
    for (const [operationId, request] of cases) {
      const operation = byId.get(operationId) as Operation
      await limited.inject(request)
      const response = await limited.inject(request)
      t.equal(response.statusCode, 429, operationId)
      t.same(contract.violations(operation, response), [], `${operationId} 429 as documented`)
      triggered.get(operationId)?.add(429)
    }
  })

  t.test('every operation is exercised, with every documented status this test can provoke', async (t) => {
    // 500 cannot be provoked without a fault, 503 needs an outage (test/process covers both); 429 has its own block.
    const notProvokedHere = new Set([429, 500, 503])
    for (const operation of operations) {
      const seen = triggered.get(operation.operationId)
      t.ok(seen !== undefined, `${operation.operationId} has a scenario`)
      const missing = Object.keys(operation.responses).map(Number).filter((status) => !notProvokedHere.has(status) && !(seen?.has(status) ?? false))
      t.same(missing, [], `${operation.operationId}: every documented status was seen`)
    }
  })

  t.test('the checker itself catches an undocumented status, media type, body shape and missing header', async (t) => {
    const operation = byId.get('getProductsById') as Operation
    const fake = (statusCode: number, contentType: string, body: string, headers: Record<string, string> = {}) =>
      ({ statusCode, body, headers: { 'content-type': contentType, 'x-request-id': 'r', 'ratelimit-policy': '"default";q=1;w=60', ratelimit: '"default";r=0;t=1', etag: '"e"', ...headers } }) as unknown as LightMyRequestResponse
    const product = { id: randomUUID(), sku: 'ABC-1', name: 'n', description: '', priceCents: 1, stock: 1, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }
    t.same(contract.violations(operation, fake(200, 'application/json', JSON.stringify(product))), [], 'control: a documented answer passes')
    t.match(contract.violations(operation, fake(418, 'application/json', '{}')), [{ problem: /not documented/ }])
    t.match(contract.violations(operation, fake(200, 'text/html', '<p>')), [{ problem: /media type/ }])
    t.match(contract.violations(operation, fake(200, 'application/json', JSON.stringify({ ...product, passwordHash: 'x' }))), [{ problem: /schema/ }])
    t.match(contract.violations(operation, fake(200, 'application/json', JSON.stringify({ ...product, priceCents: -1 }))), [{ problem: /schema/ }])
    t.match(contract.violations(operation, fake(404, 'application/problem+json', JSON.stringify({ title: 'Not Found' }))), [{ problem: /schema/ }])
    const withoutRequestId = fake(200, 'application/json', JSON.stringify(product))
    delete withoutRequestId.headers['x-request-id']
    t.match(contract.violations(operation, withoutRequestId), [{ problem: /x-request-id is missing/ }])
  })
}

await runAlone(import.meta.url, contractTests)
