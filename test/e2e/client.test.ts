import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { createShopClient, isProblem, PROBLEM_TYPE_PREFIX, type Problem, type Product, type ShopClient, type Tokens } from '../../client/index.js'
import { runAlone } from '../support/test-file.js'

/**
 * The typed client (client/) against the running server over real HTTP, and nothing else: every request below
 * goes through it, so a change of the contract that breaks a consumer fails here (or at compile time, in
 * `npm run typecheck`, once `npm run generate:client` has picked up the new document). The only setup outside
 * it is the bootstrap admin of ADMIN_EMAIL/ADMIN_PASSWORD, which an operator sets the same way.
 * Query parameters with server defaults are passed explicitly, so these calls stay valid whether the document
 * marks them required or optional.
 */
const ADMIN = { email: 'client-admin@example.com', password: 'admin-password-for-client-test' }
const PASSWORD = 'correct horse battery staple'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function clientTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t, { env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } })
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  const anonymous = createShopClient(baseUrl)

  /** The answer's body when it is a success; a failed test names the status and the problem otherwise. */
  function ok<Data> (result: { data?: Data, error?: unknown, response: Response }): Data {
    if (result.data === undefined) {
      throw new Error(`${result.response.url} answered ${result.response.status}: ${JSON.stringify(result.error)}`)
    }
    return result.data
  }

  /** The problem an answer carries; fails the test when the answer is a success or not a problem. */
  function problem (t: Test, result: { error?: Problem, response: Response }, status: number, slug: string): Problem {
    t.equal(result.response.status, status)
    t.equal(result.response.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    const { error } = result
    if (!isProblem(error)) throw new Error(`expected a ${slug} problem, got ${JSON.stringify(error)}`)
    // Typed fields, read as values: no casts, no JSON.parse.
    t.equal(error.type, `${PROBLEM_TYPE_PREFIX}${slug}`)
    t.equal(error.status, status)
    t.equal(typeof error.requestId, 'string')
    return error
  }

  /** A new customer signed in through the client, with a client that sends their current access token. */
  async function signUp (): Promise<{ client: ShopClient, email: string, tokens: Tokens }> {
    const email = `client-${randomUUID()}@example.test`
    ok(await anonymous.POST('/v1/auth/register', { body: { email, password: PASSWORD, name: 'Client Customer' } }))
    const tokens = ok(await anonymous.POST('/v1/auth/login', { body: { email, password: PASSWORD } }))
    return { client: createShopClient(baseUrl, { accessToken: () => tokens.accessToken }), email, tokens }
  }

  // The catalog this file orders from, created by the bootstrap admin through the client.
  const adminTokens = ok(await anonymous.POST('/v1/auth/login', { body: ADMIN }))
  const admin = createShopClient(baseUrl, { accessToken: () => adminTokens.accessToken })
  /** In both descriptions, so a `q` search finds exactly this file's products on a shared database. */
  const marker = `client-e2e-${randomUUID()}`

  /** Setup only throws; the subtests assert (tap's root test cannot take assertions between top-level awaits). */
  async function createProduct (sku: string, name: string, priceCents: number, stock: number): Promise<{ product: Product, response: Response }> {
    const created = await admin.POST('/v1/products', {
      body: { sku: `${sku}-${marker.slice(-8).toUpperCase()}`, name, description: `Made for ${marker}`, priceCents, stock }
    })
    return { product: ok(created), response: created.response }
  }

  const lampCreated = await createProduct('CLI-LAMP', 'Client lamp', 4900, 1)
  const mugCreated = await createProduct('CLI-MUG', 'Client mug', 1250, 5)
  const lamp = lampCreated.product
  const mug = mugCreated.product

  t.test('an admin creates products: 201 with location and etag', async (t) => {
    for (const { product, response } of [lampCreated, mugCreated]) {
      t.equal(response.status, 201)
      t.equal(response.headers.get('location'), `/v1/products/${product.id}`)
      t.match(response.headers.get('etag'), /^"/)
    }
  })

  t.test('register, login, read yourself, refresh: the new token works, a replay in the grace window gets the same one, an unknown one is refused', async (t) => {
    const email = `Client-${randomUUID()}@Example.test`
    const registered = await anonymous.POST('/v1/auth/register', { body: { email, password: PASSWORD, name: 'Ada' } })
    t.equal(registered.response.status, 201)
    t.has(ok(registered), { email: email.toLowerCase(), name: 'Ada', role: 'customer' })

    const login = ok(await anonymous.POST('/v1/auth/login', { body: { email, password: PASSWORD } }))
    t.equal(login.tokenType, 'Bearer')
    t.equal(login.user.id, ok(registered).id)
    let accessToken = login.accessToken
    const me = createShopClient(baseUrl, { accessToken: () => accessToken })
    t.equal(ok(await me.GET('/v1/users/me')).email, email.toLowerCase())

    const refreshed = ok(await anonymous.POST('/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }))
    t.not(refreshed.refreshToken, login.refreshToken, 'refresh tokens rotate')
    accessToken = refreshed.accessToken
    t.equal(ok(await me.GET('/v1/users/me')).id, login.user.id, 'the client sends the refreshed access token')

    // Two tabs refreshing at once: within REFRESH_REUSE_GRACE_SECONDS a replay gets the same successor, not a revocation.
    const replayed = ok(await anonymous.POST('/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }))
    t.equal(replayed.refreshToken, refreshed.refreshToken, 'a replay within the grace window gets the same successor')
    const unknown = await anonymous.POST('/v1/auth/refresh', { body: { refreshToken: randomBytes(32).toString('base64url') } })
    problem(t, unknown, 401, 'unauthorized')
    t.equal(unknown.response.headers.get('www-authenticate'), 'Bearer')

    const logout = await anonymous.POST('/v1/auth/logout', { body: { refreshToken: refreshed.refreshToken } })
    t.equal(logout.response.status, 204)
  })

  t.test('list products, read one, and read it again with If-None-Match: 304 until it changes', async (t) => {
    const list = ok(await anonymous.GET('/v1/products', { params: { query: { page: 1, limit: 10, sort: 'priceCents', q: marker } } }))
    t.same(list.data.map((product) => product.id), [mug.id, lamp.id], 'cheapest first')
    t.same(list.pagination, { page: 1, limit: 10, total: 2, pages: 1 })

    const inStock = ok(await anonymous.GET('/v1/products', { params: { query: { page: 1, limit: 1, sort: '-priceCents', q: marker, inStock: true } } }))
    t.same(inStock.data.map((product) => product.id), [lamp.id])
    t.equal(inStock.pagination.pages, 2)

    const read = await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id } } })
    t.same(ok(read), mug)
    const etag = read.response.headers.get('etag')
    if (etag === null) throw new Error('no etag on a product read')

    const unchanged = await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id }, header: { 'if-none-match': etag } } })
    t.equal(unchanged.response.status, 304)
    t.equal(unchanged.data, undefined, 'no body')
    t.notOk(isProblem(unchanged.error), 'openapi-fetch reports a 304 as `error`; it is not a problem')

    const patched = await admin.PATCH('/v1/products/{id}', { params: { path: { id: mug.id }, header: { 'if-match': etag } }, body: { priceCents: 1300 } })
    t.equal(ok(patched).priceCents, 1300)
    const changed = await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id }, header: { 'if-none-match': etag } } })
    t.equal(changed.response.status, 200, 'the old tag no longer matches')
    t.equal(ok(changed).priceCents, 1300)
    t.equal(changed.response.headers.get('etag'), patched.response.headers.get('etag'))

    const stale = await admin.PATCH('/v1/products/{id}', { params: { path: { id: mug.id }, header: { 'if-match': etag } }, body: { priceCents: 1250 } })
    problem(t, stale, 412, 'precondition-failed')
    ok(await admin.PATCH('/v1/products/{id}', { params: { path: { id: mug.id } }, body: { priceCents: 1250 } }))
  })

  t.test('place an order with an Idempotency-Key, replay it, read it, cancel it', async (t) => {
    const { client } = await signUp()
    const key = randomUUID()
    const body = { items: [{ productId: mug.id, quantity: 2 }] }

    const placed = await client.POST('/v1/orders', { params: { header: { 'idempotency-key': key } }, body })
    const order = ok(placed)
    t.equal(placed.response.status, 201)
    t.equal(placed.response.headers.get('location'), `/v1/orders/${order.id}`)
    t.equal(placed.response.headers.get('idempotent-replayed'), null)
    t.has(order, { status: 'placed', totalCents: 2500, items: [{ productId: mug.id, sku: mug.sku, quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500 }] })
    t.equal(ok(await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id } } })).stock, 3)

    const replay = await client.POST('/v1/orders', { params: { header: { 'idempotency-key': key } }, body })
    t.equal(replay.response.status, 201)
    t.equal(replay.response.headers.get('idempotent-replayed'), 'true')
    t.same(ok(replay), order, 'the first answer again')
    t.equal(ok(await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id } } })).stock, 3, 'nothing placed twice')

    const reused = await client.POST('/v1/orders', { params: { header: { 'idempotency-key': key } }, body: { items: [{ productId: mug.id, quantity: 1 }] } })
    problem(t, reused, 422, 'idempotency-key-reused')

    const mine = ok(await client.GET('/v1/orders', { params: { query: { page: 1, limit: 20 } } }))
    t.same(mine.data.map((listed) => listed.id), [order.id])
    t.same(ok(await client.GET('/v1/orders/{id}', { params: { path: { id: order.id } } })), order)

    const cancelled = ok(await client.POST('/v1/orders/{id}/cancel', { params: { path: { id: order.id } } }))
    t.equal(cancelled.status, 'cancelled')
    t.equal(ok(await anonymous.GET('/v1/products/{id}', { params: { path: { id: mug.id } } })).stock, 5, 'stock given back')

    const again = await client.POST('/v1/orders/{id}/cancel', { params: { path: { id: order.id } } })
    problem(t, again, 409, 'order-already-cancelled')
  })

  t.test('problem details arrive as typed values', async (t) => {
    const { client, email } = await signUp()

    const shortage = await client.POST('/v1/orders', { body: { items: [{ productId: lamp.id, quantity: 2 }] } })
    const insufficient = problem(t, shortage, 409, 'insufficient-stock')
    t.same(insufficient.shortages, [{ productId: lamp.id, requested: 2, available: 1 }])

    const unknown = await client.POST('/v1/orders', { body: { items: [{ productId: randomUUID(), quantity: 1 }] } })
    problem(t, unknown, 422, 'unknown-product')

    problem(t, await client.GET('/v1/orders/{id}', { params: { path: { id: randomUUID() } } }), 404, 'not-found')
    problem(t, await anonymous.POST('/v1/auth/register', { body: { email, password: PASSWORD, name: 'Twice' } }), 409, 'email-taken')

    const invalid = problem(t, await anonymous.POST('/v1/auth/register', { body: { email: 'not-an-email', password: PASSWORD, name: 'Ada' } }), 400, 'validation')
    t.same(invalid.errors?.map((error) => error.field), ['/body/email'])

    const unauthorized = await anonymous.GET('/v1/users/me')
    problem(t, unauthorized, 401, 'unauthorized')
    t.equal(unauthorized.response.headers.get('www-authenticate'), 'Bearer')
    problem(t, await client.POST('/v1/products', { body: { sku: 'CLI-NOPE', name: 'Not yours', priceCents: 1, stock: 1 } }), 403, 'forbidden')
  })
}

await runAlone(import.meta.url, clientTests)
