/**
 * Tokens and personal data never rest in a cache (RFC 9111; RFC 6749 §5.1): every operation under /v1/auth,
 * /v1/users and /v1/orders answers `cache-control: no-store`, on success and on a client error. The public
 * catalog keeps its ETag caching. A new operation in those plugins must be added here, or the last test fails.
 */
import type { Test } from 'tap'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildTestApp } from '../helper.js'
import { createProduct, placeOrder } from '../support/fixtures.js'
import { serverRoutes } from './support/route-table.js'
import { createTestUser, type TestUser } from '../support/users.js'
import { runAlone } from '../support/test-file.js'

const PASSWORD = 'correct horse battery staple'
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

interface Fixtures {
  customer: TestUser
  admin: TestUser
  email: string
  refreshToken: string
  orderId: string
  cancelledOrderId: string
  productId: string
}

type Call = (fixtures: Fixtures) => InjectOptions

interface Operation {
  route: string
  success: Call
  failure: Call
}

const OPERATIONS: Operation[] = [
  {
    route: 'POST /v1/auth/register',
    success: () => ({ method: 'POST', url: '/v1/auth/register', payload: { email: `new-${Date.now()}-${Math.random()}@example.test`, password: PASSWORD, name: 'New' } }),
    failure: () => ({ method: 'POST', url: '/v1/auth/register', payload: { email: 'not-an-email', password: PASSWORD, name: 'New' } })
  },
  {
    route: 'POST /v1/auth/login',
    success: (f) => ({ method: 'POST', url: '/v1/auth/login', payload: { email: f.email, password: PASSWORD } }),
    failure: (f) => ({ method: 'POST', url: '/v1/auth/login', payload: { email: f.email, password: 'wrong password, long enough' } })
  },
  {
    route: 'POST /v1/auth/refresh',
    success: (f) => ({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: f.refreshToken } }),
    failure: () => ({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'x'.repeat(43) } })
  },
  {
    route: 'POST /v1/auth/logout',
    success: () => ({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: 'y'.repeat(43) } }),
    failure: () => ({ method: 'POST', url: '/v1/auth/logout', payload: {} })
  },
  {
    route: 'GET /v1/users/me',
    success: (f) => ({ method: 'GET', url: '/v1/users/me', headers: f.customer.headers }),
    failure: () => ({ method: 'GET', url: '/v1/users/me' })
  },
  {
    route: 'PATCH /v1/users/me',
    success: (f) => ({ method: 'PATCH', url: '/v1/users/me', headers: f.customer.headers, payload: { name: 'Renamed' } }),
    failure: (f) => ({ method: 'PATCH', url: '/v1/users/me', headers: f.customer.headers, payload: { role: 'admin' } })
  },
  {
    route: 'GET /v1/users',
    success: (f) => ({ method: 'GET', url: '/v1/users', headers: f.admin.headers }),
    failure: (f) => ({ method: 'GET', url: '/v1/users', headers: f.customer.headers })
  },
  {
    route: 'PATCH /v1/users/{id}',
    success: (f) => ({ method: 'PATCH', url: `/v1/users/${f.customer.id}`, headers: f.admin.headers, payload: { role: 'customer' } }),
    failure: (f) => ({ method: 'PATCH', url: `/v1/users/${UNKNOWN_ID}`, headers: f.admin.headers, payload: { role: 'customer' } })
  },
  {
    route: 'GET /v1/orders',
    success: (f) => ({ method: 'GET', url: '/v1/orders', headers: f.customer.headers }),
    failure: () => ({ method: 'GET', url: '/v1/orders' })
  },
  {
    route: 'POST /v1/orders',
    success: (f) => ({ method: 'POST', url: '/v1/orders', headers: f.customer.headers, payload: { items: [{ productId: f.productId, quantity: 1 }] } }),
    failure: (f) => ({ method: 'POST', url: '/v1/orders', headers: f.customer.headers, payload: { items: [] } })
  },
  {
    route: 'GET /v1/orders/{id}',
    success: (f) => ({ method: 'GET', url: `/v1/orders/${f.orderId}`, headers: f.customer.headers }),
    failure: (f) => ({ method: 'GET', url: `/v1/orders/${UNKNOWN_ID}`, headers: f.customer.headers })
  },
  {
    route: 'POST /v1/orders/{id}/cancel',
    success: (f) => ({ method: 'POST', url: `/v1/orders/${f.cancelledOrderId}/cancel`, headers: f.customer.headers }),
    failure: (f) => ({ method: 'POST', url: `/v1/orders/${UNKNOWN_ID}/cancel`, headers: f.customer.headers })
  }
]

async function fixtures (app: FastifyInstance): Promise<Fixtures> {
  const email = `no-store-${Date.now()}@example.test`
  await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: PASSWORD, name: 'Ada' } })
  const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } })
  const { refreshToken } = login.json<{ refreshToken: string }>()
  const customer = await createTestUser(app)
  const admin = await createTestUser(app, 'admin')
  const product = await createProduct(app, admin, { stock: 1000 })
  const placed = await placeOrder(app, customer, product.id)
  const another = await placeOrder(app, customer, product.id)
  return {
    customer,
    admin,
    email,
    refreshToken,
    orderId: placed.json<{ id: string }>().id,
    cancelledOrderId: another.json<{ id: string }>().id,
    productId: product.id
  }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function noStoreTests (t: Test): Promise<void> {
  // One app for the file, but for the 429 test, which needs a sign-in limit of 1 (the shared app's fixtures sign in).
  const { app } = await buildTestApp(t)

  t.test('token and personal-data answers carry cache-control: no-store, on success and on error', async (t) => {
    const f = await fixtures(app)
    for (const operation of OPERATIONS) {
      const success = await app.inject(operation.success(f))
      t.ok(success.statusCode < 300, `${operation.route}: success (${success.statusCode})`)
      t.equal(success.headers['cache-control'], 'no-store', `${operation.route} ${success.statusCode}: no-store`)
      const failure = await app.inject(operation.failure(f))
      t.ok(failure.statusCode >= 400 && failure.statusCode < 500, `${operation.route}: client error (${failure.statusCode})`)
      t.match(failure.headers['content-type'], /^application\/problem\+json/)
      t.equal(failure.headers['cache-control'], 'no-store', `${operation.route} ${failure.statusCode}: no-store`)
    }
  })

  t.test('a rate-limited auth answer (429 from an earlier hook) carries no-store as well', async (t) => {
    // Its own app: AUTH_RATE_LIMIT_MAX=1 would refuse the other tests' sign-ins.
    const { app: strict } = await buildTestApp(t, { env: { AUTH_RATE_LIMIT_MAX: '1' } })
    const call: InjectOptions = { method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: 'z'.repeat(43) } }
    await strict.inject(call)
    const limited = await strict.inject(call)
    t.equal(limited.statusCode, 429)
    t.equal(limited.headers['cache-control'], 'no-store')
  })

  t.test('public catalog reads keep their caching: an ETag and no no-store', async (t) => {
    const admin = await createTestUser(app, 'admin')
    const product = await createProduct(app, admin, { stock: 1000 })
    const read = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
    t.equal(read.statusCode, 200)
    t.type(read.headers.etag, 'string')
    t.notMatch(String(read.headers['cache-control'] ?? ''), /no-store/)
    const list = await app.inject({ method: 'GET', url: '/v1/products?limit=1' })
    t.notMatch(String(list.headers['cache-control'] ?? ''), /no-store/)
  })

  t.test('every operation of the auth, users and orders plugins is in the table above', async (t) => {
    const served = serverRoutes(app)
      .filter((route) => /^\/v1\/(auth|users|orders)(\/|$)/.test(route.path) && route.method !== 'HEAD' && route.method !== 'OPTIONS')
      .map((route) => `${route.method} ${route.path}`)
    t.same(served.sort(), OPERATIONS.map((operation) => operation.route).sort())
  })
}

await runAlone(import.meta.url, noStoreTests)
