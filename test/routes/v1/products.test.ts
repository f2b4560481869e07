import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { buildTestApp } from '../../helper.js'
import { createTestUser } from '../../support/users.js'
import { createProduct, PROBLEM_JSON, problemType, type ProductBody, uniqueSku } from '../../support/fixtures.js'
import { runAlone } from '../../support/test-file.js'

interface ListBody {
  data: ProductBody[]
  pagination: { page: number, limit: number, total: number, pages: number }
}

/** A word only this test's products contain, so lists are scoped even on a shared PostgreSQL database. */
function token (): string {
  return `tok${randomBytes(5).toString('hex')}`
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function productsTests (t: Test): Promise<void> {
  // One app and one admin and customer for the file: every test makes products of its own (unique SKUs, and lists
  // are scoped by a word only that test's products contain).
  const { app } = await buildTestApp(t)
  const admin = await createTestUser(app, 'admin')
  const customer = await createTestUser(app, 'customer')

  t.test('product list', async (t) => {
    const tag = token()
    // Created in this order, so -createdAt (the default) lists them reversed.
    const apple = await createProduct(app, admin, { name: `Apple ${tag}`, description: 'crisp fruit', priceCents: 300, stock: 5 })
    const banana = await createProduct(app, admin, { name: `banana ${tag}`, description: '100% organic', priceCents: 100, stock: 0 })
    const cherry = await createProduct(app, admin, { name: `Cherry ${tag}`, description: 'under_score', priceCents: 200, stock: 7 })
    const list = async (query: string) => {
      const response = await app.inject({ method: 'GET', url: `/v1/products?q=${tag}${query}` })
      t.equal(response.statusCode, 200, query)
      return response.json<ListBody>()
    }
    const ids = (body: ListBody) => body.data.map((product) => product.id)

    t.test('newest first by default, with the pagination envelope', async (t) => {
      const body = await list('')
      t.same(ids(body), [cherry.id, banana.id, apple.id])
      t.same(body.pagination, { page: 1, limit: 20, total: 3, pages: 1 })
      t.same(Object.keys(body.data[0] ?? {}).sort(), ['createdAt', 'description', 'id', 'name', 'priceCents', 'sku', 'stock', 'updatedAt'])
    })

    t.test('every sort key orders as named', async (t) => {
      t.same(ids(await list('&sort=name')), [apple.id, banana.id, cherry.id], 'case-insensitive: banana sorts between Apple and Cherry')
      t.same(ids(await list('&sort=-name')), [cherry.id, banana.id, apple.id])
      t.same(ids(await list('&sort=priceCents')), [banana.id, cherry.id, apple.id])
      t.same(ids(await list('&sort=-priceCents')), [apple.id, cherry.id, banana.id])
      t.same(ids(await list('&sort=createdAt')), [apple.id, banana.id, cherry.id])
      t.same(ids(await list('&sort=-createdAt')), [cherry.id, banana.id, apple.id])
    })

    t.test('pages split the list and report total and pages', async (t) => {
      const first = await list('&sort=priceCents&limit=2&page=1')
      t.same(ids(first), [banana.id, cherry.id])
      t.same(first.pagination, { page: 1, limit: 2, total: 3, pages: 2 })
      const second = await list('&sort=priceCents&limit=2&page=2')
      t.same(ids(second), [apple.id])
      const beyond = await list('&sort=priceCents&limit=2&page=5')
      t.same(beyond.data, [])
      t.equal(beyond.pagination.total, 3)
    })

    t.test('q matches name and description case-insensitively', async (t) => {
      const upper = await app.inject({ method: 'GET', url: `/v1/products?q=${tag.toUpperCase()}` })
      t.equal(upper.json<ListBody>().pagination.total, 3)
    })

    t.test('q treats LIKE wildcards literally', async (t) => {
      const search = async (q: string) => ids((await app.inject({ method: 'GET', url: `/v1/products?q=${encodeURIComponent(q)}` })).json<ListBody>())
      t.same(await search('100% organic'), [banana.id])
      t.same(await search('under_score'), [cherry.id])
      t.notOk((await search('crisp%fruit')).includes(apple.id), '% is not a wildcard')
      t.notOk((await search('under_scor_')).includes(cherry.id), '_ is not a wildcard')
      t.same(await search('CRISP FRUIT'), [apple.id], 'description is searched')
    })

    t.test('price and stock filters', async (t) => {
      t.same(ids(await list('&minPrice=200&sort=priceCents')), [cherry.id, apple.id])
      t.same(ids(await list('&maxPrice=200&sort=priceCents')), [banana.id, cherry.id])
      t.same(ids(await list('&minPrice=150&maxPrice=250')), [cherry.id])
      t.same(ids(await list('&inStock=true&sort=priceCents')), [cherry.id, apple.id])
      t.same(ids(await list('&inStock=false')), [banana.id])
    })

    t.test('out-of-range or unknown query values are 400 problems', async (t) => {
      for (const query of ['limit=0', 'limit=101', 'page=0', 'sort=price', 'sort=id;DROP TABLE products', 'minPrice=-1',
        'maxPrice=2147483648', 'inStock=maybe', 'color=red', 'q=', 'minPrice=5&maxPrice=4']) {
        const response = await app.inject({ method: 'GET', url: `/v1/products?${query}` })
        t.equal(response.statusCode, 400, query)
        t.match(response.headers['content-type'], PROBLEM_JSON, query)
      }
    })
  })

  t.test('reading one product', async (t) => {
    const product = await createProduct(app, admin, { name: 'Mug', description: 'Holds tea', priceCents: 1299, stock: 3 })

    t.test('answers the product with a strong etag', async (t) => {
      const response = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      t.equal(response.statusCode, 200)
      t.same(response.json(), product)
      t.match(response.headers.etag, /^"[0-9a-f-]+-\d+"$/)
    })

    t.test('if-none-match with the current etag answers 304 without a body', async (t) => {
      const first = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      const etag = String(first.headers.etag)
      for (const header of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
        const response = await app.inject({ method: 'GET', url: `/v1/products/${product.id}`, headers: { 'if-none-match': header } })
        t.equal(response.statusCode, 304, header)
        t.equal(response.body, '', header)
        t.equal(response.headers.etag, etag, header)
      }
    })

    t.test('if-none-match with an old etag answers 200', async (t) => {
      const response = await app.inject({ method: 'GET', url: `/v1/products/${product.id}`, headers: { 'if-none-match': `"${product.id}-0"` } })
      t.equal(response.statusCode, 200)
      t.equal(response.json<ProductBody>().id, product.id)
    })

    t.test('a read served from the cache sends the bytes and headers of the read that filled it', async (t) => {
      const fresh = await createProduct(app, admin, { description: 'Ünïcode ☕ "quoted" </script>' })
      const url = `/v1/products/${fresh.id}`
      const filling = await app.inject({ method: 'GET', url })
      const cached = await app.inject({ method: 'GET', url })
      t.same(filling.json(), fresh)
      t.equal(cached.body, filling.body, 'byte for byte')
      const headersOf = (response: typeof filling) => ({
        type: response.headers['content-type'], length: response.headers['content-length'], etag: response.headers.etag
      })
      t.same(headersOf(cached), headersOf(filling))
      t.equal(filling.headers['content-type'], 'application/json; charset=utf-8', 'what Fastify writes for a serialized object')
      t.equal(Number(filling.headers['content-length']), Buffer.byteLength(filling.body))
    })

    t.test('100 concurrent reads of a product nobody has read yet cost one database read', async (t) => {
      const cold = await createProduct(app, admin)
      const loads = async () => {
        const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
        return Number(new RegExp(`^cache_loads_total\\{backend="${app.cache.kind}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
      }
      const before = await loads()
      const reads = await Promise.all(Array.from({ length: 100 }, async () => app.inject({ method: 'GET', url: `/v1/products/${cold.id}` })))
      t.same(reads.map((response) => response.statusCode), reads.map(() => 200))
      t.equal(new Set(reads.map((response) => response.body)).size, 1, 'every reader got the same product')
      t.equal(await loads() - before, 1, 'one database read for all of them (single flight)')
    })

    t.test('a malformed id is 400, an unknown one 404', async (t) => {
      const malformed = await app.inject({ method: 'GET', url: '/v1/products/not-a-uuid' })
      t.equal(malformed.statusCode, 400)
      t.match(malformed.headers['content-type'], PROBLEM_JSON)
      const unknown = await app.inject({ method: 'GET', url: `/v1/products/${randomUUID()}` })
      t.equal(unknown.statusCode, 404)
      t.match(unknown.headers['content-type'], PROBLEM_JSON)
    })
  })

  t.test('creating products', async (t) => {
    t.test('an admin gets 201 with location, and the product reads back', async (t) => {
      const sku = uniqueSku('NEW')
      const response = await app.inject({
        method: 'POST', url: '/v1/products', headers: admin.headers, payload: { sku, name: 'Lamp', priceCents: 4500, stock: 2 }
      })
      t.equal(response.statusCode, 201)
      const body = response.json<ProductBody>()
      t.has(body, { sku, name: 'Lamp', description: '', priceCents: 4500, stock: 2 })
      t.equal(response.headers.location, `/v1/products/${body.id}`)
      const read = await app.inject({ method: 'GET', url: String(response.headers.location) })
      t.same(read.json(), body)
    })

    t.test('a taken sku is a 409 problem', async (t) => {
      const existing = await createProduct(app, admin)
      const response = await app.inject({
        method: 'POST', url: '/v1/products', headers: admin.headers, payload: { sku: existing.sku, name: 'Twin', priceCents: 1, stock: 1 }
      })
      t.equal(response.statusCode, 409)
      t.match(response.headers['content-type'], PROBLEM_JSON)
      t.has(response.json(), { status: 409, type: problemType('sku-taken') })
    })

    t.test('invalid bodies are 400 problems naming the field', async (t) => {
      const valid = { sku: uniqueSku(), name: 'Ok', priceCents: 1, stock: 1 }
      const cases: Array<[string, Record<string, unknown>]> = [
        ['/body/sku', { ...valid, sku: 'lower-case' }],
        ['/body/sku', { ...valid, sku: 'AB' }],
        ['/body/name', { ...valid, name: '' }],
        ['/body/name', { ...valid, name: 'x'.repeat(201) }],
        ['/body/description', { ...valid, description: 'x'.repeat(2001) }],
        ['/body/priceCents', { ...valid, priceCents: -1 }],
        ['/body/priceCents', { ...valid, priceCents: 2_147_483_648 }],
        ['/body/priceCents', { ...valid, priceCents: 1.5 }],
        ['/body/stock', { ...valid, stock: '3' }],
        ['/body/stock', { sku: valid.sku, name: 'Ok', priceCents: 1 }],
        ['/body/id', { ...valid, id: randomUUID() }]
      ]
      for (const [field, payload] of cases) {
        const response = await app.inject({ method: 'POST', url: '/v1/products', headers: admin.headers, payload })
        t.equal(response.statusCode, 400, field)
        t.equal(response.json<{ errors: Array<{ field: string }> }>().errors[0]?.field, field)
      }
    })

    t.test('anonymous callers get 401, customers 403', async (t) => {
      const payload = { sku: uniqueSku(), name: 'Nope', priceCents: 1, stock: 1 }
      const anonymous = await app.inject({ method: 'POST', url: '/v1/products', payload })
      t.equal(anonymous.statusCode, 401)
      const forbidden = await app.inject({ method: 'POST', url: '/v1/products', headers: customer.headers, payload })
      t.equal(forbidden.statusCode, 403)
      t.match(forbidden.headers['content-type'], PROBLEM_JSON)
    })
  })

  t.test('updating products', async (t) => {
    const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'PATCH', url: `/v1/products/${id}`, headers: { ...admin.headers, ...headers }, payload: payload as Record<string, unknown> })

    t.test('changes only the given fields and moves updatedAt and the etag', async (t) => {
      const product = await createProduct(app, admin, { name: 'Old name', priceCents: 100 })
      const before = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      // Timestamps are sent to the millisecond: let one pass, so an updatedAt that did not move cannot pass as moved.
      await sleep(5)
      const response = await patch(product.id, { name: 'New name', stock: 42 })
      t.equal(response.statusCode, 200)
      const body = response.json<ProductBody>()
      t.has(body, { id: product.id, sku: product.sku, name: 'New name', description: product.description, priceCents: 100, stock: 42, createdAt: product.createdAt })
      t.ok(Date.parse(body.updatedAt) > Date.parse(product.updatedAt), `updatedAt moved: ${product.updatedAt} → ${body.updatedAt}`)
      t.not(response.headers.etag, before.headers.etag)
    })

    t.test('a cached read shows the write at once', async (t) => {
      const product = await createProduct(app, admin, { priceCents: 100 })
      await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      await patch(product.id, { priceCents: 250 })
      const read = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      t.equal(read.json<ProductBody>().priceCents, 250)
    })

    t.test('reads come from the cache until a write goes through the API', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      // Behind the API's back: only a cache hit can still answer 5.
      await app.db.query('UPDATE products SET stock = 77 WHERE id = $1', [product.id])
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).json<ProductBody>().stock, 5)
      await patch(product.id, { name: 'Renamed' })
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).json<ProductBody>().stock, 77)
    })

    t.test('an upper-case id reads, caches and updates the same product', async (t) => {
      const product = await createProduct(app, admin, { stock: 5 })
      const upper = `/v1/products/${product.id.toUpperCase()}`
      const read = await app.inject({ method: 'GET', url: upper })
      t.equal(read.json<ProductBody>().id, product.id)
      const write = await app.inject({
        method: 'PATCH', url: upper, headers: { ...admin.headers, 'if-match': String(read.headers.etag) }, payload: { stock: 6 }
      })
      t.equal(write.statusCode, 200)
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).json<ProductBody>().stock, 6)
      t.equal((await app.inject({ method: 'GET', url: upper })).json<ProductBody>().stock, 6)
    })

    t.test('if-match with the current etag succeeds, a stale one is 412', async (t) => {
      const product = await createProduct(app, admin)
      const etag = String((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).headers.etag)
      const fresh = await patch(product.id, { stock: 1 }, { 'if-match': etag })
      t.equal(fresh.statusCode, 200)
      const stale = await patch(product.id, { stock: 2 }, { 'if-match': etag })
      t.equal(stale.statusCode, 412)
      t.match(stale.headers['content-type'], PROBLEM_JSON)
      const read = await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })
      t.equal(read.json<ProductBody>().stock, 1, 'the stale write changed nothing')
      t.equal((await patch(product.id, { stock: 3 }, { 'if-match': `W/${String(fresh.headers.etag)}` })).statusCode, 412, 'weak tags never match')
      t.equal((await patch(product.id, { stock: 3 }, { 'if-match': '*' })).statusCode, 200, '* matches any current version')
    })

    t.test('a sku taken by another product is 409', async (t) => {
      const first = await createProduct(app, admin)
      const second = await createProduct(app, admin)
      const response = await patch(second.id, { sku: first.sku })
      t.equal(response.statusCode, 409)
      t.has(response.json(), { status: 409, type: problemType('sku-taken') })
    })

    t.test('an unknown product is 404, with or without if-match', async (t) => {
      const id = randomUUID()
      t.equal((await patch(id, { stock: 1 })).statusCode, 404)
      t.equal((await patch(id, { stock: 1 }, { 'if-match': `"${id}-1"` })).statusCode, 404)
    })

    t.test('an empty or invalid patch is 400', async (t) => {
      const product = await createProduct(app, admin)
      t.equal((await patch(product.id, {})).statusCode, 400)
      t.equal((await patch(product.id, { stock: -1 })).statusCode, 400)
      t.equal((await patch(product.id, { version: 9 })).statusCode, 400)
      t.equal((await patch('nope', { stock: 1 })).statusCode, 400)
    })

    t.test('anonymous callers get 401, customers 403', async (t) => {
      const product = await createProduct(app, admin)
      t.equal((await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, payload: { stock: 1 } })).statusCode, 401)
      t.equal((await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: customer.headers, payload: { stock: 1 } })).statusCode, 403)
    })
  })

  t.test('archiving products', async (t) => {
    t.test('204, then the product is gone from reads and lists', async (t) => {
      const tag = token()
      const product = await createProduct(app, admin, { name: `Gone ${tag}` })
      await app.inject({ method: 'GET', url: `/v1/products/${product.id}` }) // warm the cache
      const response = await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })
      t.equal(response.statusCode, 204)
      t.equal(response.body, '')
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).statusCode, 404)
      t.equal((await app.inject({ method: 'GET', url: `/v1/products?q=${tag}` })).json<ListBody>().pagination.total, 0)
      t.equal((await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { stock: 1 } })).statusCode, 404)
    })

    t.test('archiving twice or an unknown product is 404', async (t) => {
      const product = await createProduct(app, admin)
      await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })
      t.equal((await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })).statusCode, 404)
      t.equal((await app.inject({ method: 'DELETE', url: `/v1/products/${randomUUID()}`, headers: admin.headers })).statusCode, 404)
    })

    t.test('anonymous callers get 401, customers 403, and nothing is archived', async (t) => {
      const product = await createProduct(app, admin)
      t.equal((await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}` })).statusCode, 401)
      t.equal((await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: customer.headers })).statusCode, 403)
      t.equal((await app.inject({ method: 'GET', url: `/v1/products/${product.id}` })).statusCode, 200)
    })
  })
}

await runAlone(import.meta.url, productsTests)
