/**
 * GET /v1/products beyond filters and sorts (those are in products.test.ts): count and page in one statement,
 * the page cache and its invalidation by every kind of write, keyset (cursor) paging with Link headers, forged
 * cursors, and the staleness bound across replicas.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, usingPostgres, usingRedis } from '../../helper.js'
import { createTestUser } from '../../support/users.js'
import { createProduct, pause, placeOrder, PROBLEM_JSON, problemType, type ProductBody, uniqueSku } from '../../support/fixtures.js'
import { LIST_GENERATION_MEMO_MS } from '../../../src/products/list-cache.js'
import { runAlone } from '../../support/test-file.js'

interface ListBody {
  data: ProductBody[]
  pagination: { page: number, limit: number, total: number, pages: number }
}

interface Listed {
  body: ListBody
  response: LightMyRequestResponse
  /** The target of the Link header's rel="next", undefined when there is none. */
  next: string | undefined
}

/** A word only this test's products contain, so each test lists its own products only. */
function token (): string {
  return `tok${randomBytes(5).toString('hex')}`
}

const LINK = /^<(\/v1\/products\?[^>]+)>; rel="next"$/

async function get (app: FastifyInstance, url: string): Promise<Listed> {
  const response = await app.inject({ method: 'GET', url })
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body}`)
  const link = response.headers.link
  const next = typeof link === 'string' ? LINK.exec(link)?.[1] : undefined
  if (link !== undefined && next === undefined) throw new Error(`unexpected link header: ${String(link)}`)
  return { body: response.json<ListBody>(), response, next }
}

const ids = (listed: Listed) => listed.body.data.map((product) => product.id)

/** Every page by number, page 1 to the last. */
async function pageWalk (app: FastifyInstance, query: string): Promise<string[]> {
  const first = await get(app, `/v1/products?${query}`)
  const walked = ids(first)
  for (let page = 2; page <= first.body.pagination.pages; page++) walked.push(...ids(await get(app, `/v1/products?${query}&page=${page}`)))
  return walked
}

/** Page 1, then the Link header's next page until there is none; `between` runs after each page. */
async function cursorWalk (app: FastifyInstance, query: string, between: () => Promise<void> = async () => {}): Promise<{ walked: string[], pages: Listed[] }> {
  const pages: Listed[] = [await get(app, `/v1/products?${query}`)]
  for (let next = pages[0]?.next; next !== undefined; next = pages[pages.length - 1]?.next) {
    if (pages.length > 100) throw new Error('the cursor walk does not end')
    await between()
    pages.push(await get(app, next))
  }
  return { walked: pages.flatMap(ids), pages }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function productsListTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)
  const admin = await createTestUser(app, 'admin')
  const customer = await createTestUser(app, 'customer')

  t.test('count and page come from one statement, with the right total on the last page and past it', async (t) => {
    const tag = token()
    for (let i = 0; i < 5; i++) await createProduct(app, admin, { name: `Item ${i} ${tag}`, priceCents: 100 + i })
    const last = await get(app, `/v1/products?q=${tag}&limit=2&page=3`)
    t.equal(last.body.data.length, 1)
    t.same(last.body.pagination, { page: 3, limit: 2, total: 5, pages: 3 })
    t.equal(last.next, undefined, 'no link on the last page')
    for (const page of [4, 1_000_000]) {
      const beyond = await get(app, `/v1/products?q=${tag}&limit=2&page=${page}`)
      t.same(beyond.body, { data: [], pagination: { page, limit: 2, total: 5, pages: 3 } }, `page ${page}: empty, the total still right`)
      t.equal(beyond.next, undefined)
    }
    t.same((await get(app, `/v1/products?q=${tag}&minPrice=1000`)).body, { data: [], pagination: { page: 1, limit: 20, total: 0, pages: 0 } }, 'nothing matches')
    const { pages } = await cursorWalk(app, `q=${tag}&limit=2`)
    t.same(pages.map((page) => page.body.pagination), [1, 2, 3].map((page) => ({ page, limit: 2, total: 5, pages: 3 })),
      'a cursor walk numbers its pages and keeps the total of the whole list')
  })

  t.test('a repeated list is answered from the cache, byte for byte, without reading the database', async (t) => {
    const tag = token()
    const product = await createProduct(app, admin, { name: `Cached ${tag}` })
    const url = `/v1/products?q=${tag}`
    const first = await get(app, url)
    t.equal(first.body.data[0]?.name, `Cached ${tag}`)
    // Behind the service's back: only a read of the database could see this.
    await app.db.query('UPDATE products SET name = $2 WHERE id = $1', [product.id, `Sneaked ${tag}`])
    const second = await get(app, url)
    t.equal(second.response.body, first.response.body, 'the same bytes: the cached page, not the changed row')
    t.equal(second.response.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(second.response.headers['content-type'], first.response.headers['content-type'])
    // The same parameters in another order and spelling are the same page.
    t.equal((await get(app, `/v1/products/?limit=20&q=${tag}&page=1`)).response.body, first.response.body)

    const patched = await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { stock: 3 } })
    t.equal(patched.statusCode, 200)
    t.has((await get(app, url)).body.data[0], { name: `Sneaked ${tag}`, stock: 3 }, 'a change through the API drops the page')
  })

  t.test('every kind of product change drops cached lists before it answers', async (t) => {
    const tag = token()
    const product = await createProduct(app, admin, { name: `Changing ${tag}`, priceCents: 500, stock: 10 })
    const url = `/v1/products?q=${tag}&sort=name`
    const listed = async () => (await get(app, url)).body.data
    const warm = async () => { await listed(); await listed() }

    t.test('create', async (t) => {
      await warm()
      const created = await createProduct(app, admin, { name: `New ${tag}` })
      t.same((await listed()).map((item) => item.id), [product.id, created.id])
    })

    t.test('patch', async (t) => {
      await warm()
      const response = await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { priceCents: 650 } })
      t.equal(response.statusCode, 200)
      t.equal((await listed()).find((item) => item.id === product.id)?.priceCents, 650)
    })

    let orderId = ''
    t.test('an order moving stock', async (t) => {
      await warm()
      const order = await placeOrder(app, customer, product.id, 3)
      t.equal(order.statusCode, 201)
      orderId = order.json<{ id: string }>().id
      t.equal((await listed()).find((item) => item.id === product.id)?.stock, 7)
    })

    t.test('a cancellation giving stock back', async (t) => {
      await warm()
      const cancelled = await app.inject({ method: 'POST', url: `/v1/orders/${orderId}/cancel`, headers: customer.headers })
      t.equal(cancelled.statusCode, 200)
      t.equal((await listed()).find((item) => item.id === product.id)?.stock, 10)
    })

    t.test('archive', async (t) => {
      await warm()
      const response = await app.inject({ method: 'DELETE', url: `/v1/products/${product.id}`, headers: admin.headers })
      t.equal(response.statusCode, 204)
      t.notOk((await listed()).some((item) => item.id === product.id))
    })
  })

  t.test('the cursor walk equals the page walk in every sort, ties included', async (t) => {
    const tag = token()
    // Ties on every sort key: names equal but for case (lower() sorts them together), equal prices, and three rows
    // with one created_at to the microsecond (written directly: the API cannot create two products at one instant).
    for (const [name, priceCents] of [['Apple', 300], ['apple', 300], ['APPLE', 100], ['Banana', 300], ['cherry', 200]] as const) {
      await createProduct(app, admin, { name: `${name} ${tag}`, priceCents })
    }
    await app.db.query(
      `INSERT INTO products (sku, name, description, price_cents, stock, created_at)
       SELECT sku, $2, '', 200, 1, $3::timestamptz FROM unnest($1::text[]) AS sku`,
      [[uniqueSku(), uniqueSku(), uniqueSku()], `Twin ${tag}`, '2026-01-02T03:04:05.123456Z']
    )
    for (const sort of ['name', '-name', 'priceCents', '-priceCents', 'createdAt', '-createdAt']) {
      const query = `q=${tag}&sort=${sort}&limit=2`
      const byPage = await pageWalk(app, query)
      const { walked } = await cursorWalk(app, query)
      t.equal(byPage.length, 8, `${sort}: the page walk sees all eight`)
      t.same(walked, byPage, `${sort}: same products in the same order, none repeated or skipped`)
    }
  })

  t.test('a cursor walk neither repeats nor skips while products are added between its pages', async (t) => {
    const tag = token()
    for (let i = 1; i <= 9; i++) await createProduct(app, admin, { name: `m${i} ${tag}` })
    const before = await pageWalk(app, `q=${tag}&sort=name&limit=3`)
    let added = 0
    // Each pause adds one product that sorts first (already walked past) and one that sorts last (still ahead).
    const { walked } = await cursorWalk(app, `q=${tag}&sort=name&limit=3`, async () => {
      added++
      await createProduct(app, admin, { name: `a${added} ${tag}` })
      await createProduct(app, admin, { name: `z${added} ${tag}` })
    })
    t.equal(new Set(walked).size, walked.length, 'no product twice')
    const originals = new Set(before)
    t.same(walked.filter((id) => originals.has(id)), before, 'every product of the page walk, once, in order')
    t.ok(walked.length > before.length, 'products added ahead of the walk are reached')

    const newestFirst = await pageWalk(app, `q=${tag}&limit=4`)
    const { walked: newest } = await cursorWalk(app, `q=${tag}&limit=4`, async () => { await createProduct(app, admin, { name: `late ${tag}` }) })
    t.same(newest, newestFirst, 'newest first (the default): products added meanwhile sort before the walk and never show up in it')
  })

  t.test('the Link header carries the filters, sort and limit, and the next cursor', async (t) => {
    const tag = token()
    const q = `${tag} & more`
    for (let i = 0; i < 3; i++) await createProduct(app, admin, { name: `${q} ${i}`, priceCents: 100 * (i + 1), stock: 1 })
    await createProduct(app, admin, { name: `${q} sold out`, priceCents: 50, stock: 0 })
    const query = `q=${encodeURIComponent(q)}&minPrice=100&maxPrice=300&inStock=true&sort=-priceCents&limit=2`
    const first = await get(app, `/v1/products?${query}`)
    t.ok(first.next?.startsWith(`/v1/products?limit=2&sort=-priceCents&q=${encodeURIComponent(q)}&minPrice=100&maxPrice=300&inStock=true&cursor=`), String(first.next))
    t.same(first.body.data.map((item) => item.priceCents), [300, 200])
    const second = await get(app, first.next ?? '')
    t.same(second.body.data.map((item) => item.priceCents), [100], 'the filters still apply on the next page')
    t.same(second.body.pagination, { page: 2, limit: 2, total: 3, pages: 2 })
    t.equal(second.next, undefined)
    const byNumber = await get(app, `/v1/products?${query}&page=2`)
    t.same(ids(byNumber), ids(second), 'page=2 is the same page')
    t.ok((await get(app, `/v1/products?${query}&page=1`)).next !== undefined, 'a numbered page links to the next by cursor too')
  })

  t.test('a cursor that was not issued, or does not fit the request, is a 400 problem', async (t) => {
    const tag = token()
    for (let i = 0; i < 3; i++) await createProduct(app, admin, { name: `Bad ${i} ${tag}` })
    const issued = (await get(app, `/v1/products?q=${tag}&limit=1`)).next ?? ''
    const cursor = new URL(issued, 'http://x').searchParams.get('cursor') ?? ''
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const id = randomUUID()
    const cases: Array<[string, string]> = [
      ['not base64url', `q=${tag}&cursor=${encodeURIComponent('!!not a cursor!!')}`],
      ['too long', `q=${tag}&cursor=${'A'.repeat(2049)}`],
      ['not JSON', `q=${tag}&cursor=${Buffer.from('hello').toString('base64url')}`],
      ['not an array', `q=${tag}&cursor=${encode({ page: 2 })}`],
      ['another format', `q=${tag}&cursor=${encode([2, '-createdAt', '2026-01-02T03:04:05.123456Z', id, 2])}`],
      ['another sort', `q=${tag}&sort=createdAt&cursor=${cursor}`],
      ['with a page', `q=${tag}&limit=1&page=2&cursor=${cursor}`],
      ['id not a uuid', `q=${tag}&cursor=${encode([1, '-createdAt', '2026-01-02T03:04:05.123456Z', 'x\' OR 1=1', 2])}`],
      ['no such day', `q=${tag}&cursor=${encode([1, '-createdAt', '2026-02-30T03:04:05.123456Z', id, 2])}`],
      ['milliseconds only', `q=${tag}&cursor=${encode([1, '-createdAt', '2026-01-02T03:04:05.123Z', id, 2])}`],
      ['year 0', `q=${tag}&cursor=${encode([1, '-createdAt', '0000-01-02T03:04:05.123456Z', id, 2])}`],
      ['price as text', `q=${tag}&sort=priceCents&cursor=${encode([1, 'priceCents', '100', id, 2])}`],
      ['price too large', `q=${tag}&sort=priceCents&cursor=${encode([1, 'priceCents', 2_147_483_648, id, 2])}`],
      ['name with NUL', `q=${tag}&sort=name&cursor=${encode([1, 'name', 'a\u0000b', id, 2])}`],
      ['name too long', `q=${tag}&sort=name&cursor=${encode([1, 'name', 'x'.repeat(201), id, 2])}`],
      ['page 1', `q=${tag}&cursor=${encode([1, '-createdAt', '2026-01-02T03:04:05.123456Z', id, 1])}`],
      ['page out of range', `q=${tag}&cursor=${encode([1, '-createdAt', '2026-01-02T03:04:05.123456Z', id, 1_000_001])}`]
    ]
    for (const [label, query] of cases) {
      const response = await app.inject({ method: 'GET', url: `/v1/products?${query}` })
      t.equal(response.statusCode, 400, label)
      t.match(response.headers['content-type'], PROBLEM_JSON, label)
      t.ok([problemType('validation'), problemType('bad-request')].includes(response.json<{ type: string }>().type), `${label}: ${response.body}`)
    }
    t.equal((await app.inject({ method: 'GET', url: `/v1/products?q=${tag}&limit=1&page=1&cursor=${cursor}` })).statusCode, 200, 'page=1 (the default) may come with a cursor')
    const forged = await get(app, `/v1/products?q=${tag}&cursor=${encode([1, '-createdAt', '2999-01-01T00:00:00.000000Z', id, 7])}`)
    t.equal(forged.body.pagination.page, 7, 'a well-formed cursor is just a position: served like any page number')
  })

  t.test('across replicas a list shows a change within the generation bound', { skip: usingPostgres && usingRedis ? false : 'needs DATABASE_URL and REDIS_URL: replicas share PostgreSQL and Redis' }, async (t) => {
    const { app: other } = await buildTestApp(t)
    const tag = token()
    const product = await createProduct(app, admin, { name: `Shared ${tag}`, stock: 4 })
    const url = `/v1/products?q=${tag}`
    t.equal((await get(app, url)).body.data[0]?.stock, 4)
    // Behind the service's back: the other replica shows it only if it reads the database instead of the shared page.
    await app.db.query('UPDATE products SET stock = 5 WHERE id = $1', [product.id])
    t.equal((await get(other, url)).body.data[0]?.stock, 4, 'the other replica is served the page the first one cached')
    const patched = await app.inject({ method: 'PATCH', url: `/v1/products/${product.id}`, headers: admin.headers, payload: { stock: 9 } })
    t.equal(patched.statusCode, 200)
    t.equal((await get(app, url)).body.data[0]?.stock, 9, 'the replica that made the change lists it at once')
    await pause(LIST_GENERATION_MEMO_MS + 100)
    t.equal((await get(other, url)).body.data[0]?.stock, 9, `the other replica lists it within ${LIST_GENERATION_MEMO_MS} ms`)
  })
}

await runAlone(import.meta.url, productsListTests)
