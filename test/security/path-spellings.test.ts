/**
 * No spelling of a path escapes a rate limit. The router decodes and normalizes a request target before it
 * matches a route, so a limit keyed on the raw URL string (as the first release's was) let `/%761/products`,
 * `/v%31/…` and absolute-form targets through unlimited. These requests go over a raw socket: fetch and
 * inject would normalize the very targets under test.
 */
import type { Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { buildTestApp } from '../helper.js'
import { createTestUser } from '../support/users.js'
import { createProduct } from '../support/fixtures.js'
import { rawRequest } from '../support/raw-http.js'
import { runAlone } from '../support/test-file.js'

const LIMIT = 3

/** Every way we know to spell GET /v1/products?limit=1, served or not. */
const PRODUCT_LIST_SPELLINGS = [
  '/v1/products?limit=1',
  '/%761/products?limit=1',
  '/v%31/products?limit=1',
  '/%76%31/%70%72%6f%64%75%63%74%73?limit=1',
  '/v1/%70roducts?limit=1',
  '/v1/product%73?limit=1',
  'http://127.0.0.1/v1/products?limit=1',
  'http://SHOP.EXAMPLE:8080/v1/products?limit=1',
  '//v1/products?limit=1',
  '/v1//products?limit=1',
  '/v1/products/?limit=1',
  '/v1/products.?limit=1',
  '/v1./products?limit=1',
  '/V1/products?limit=1',
  '/v1/Products?limit=1',
  '/v1/./products?limit=1',
  '/v1/x/../products?limit=1',
  '/v1/products%2F?limit=1',
  '/v1/products;x=1?limit=1'
]

async function listeningApp (t: Test, env: Record<string, string>) {
  // TRUST_PROXY lets each case be its own client (x-forwarded-for), so one server serves every case.
  const test = await buildTestApp(t, { env: { TRUST_PROXY: 'true', ...env } })
  await test.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...test, port: (test.app.server.address() as AddressInfo).port }
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function pathSpellingsTests (t: Test): Promise<void> {
  t.test(`every spelling of a /v1 path is limited: after ${LIMIT} requests the next is 429`, async (t) => {
    const { port } = await listeningApp(t, { RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW: '1 minute' })
    for (const [index, target] of PRODUCT_LIST_SPELLINGS.entries()) {
      const client = { 'x-forwarded-for': `198.51.100.${index + 1}` }
      const statuses: number[] = []
      for (let i = 0; i < LIMIT + 2; i++) statuses.push((await rawRequest(port, { method: 'GET', target, headers: client })).status)
      const served = statuses.slice(0, LIMIT)
      t.ok(served.every((status) => status !== 429 && status < 500), `${target}: first ${LIMIT} answered (${served.join(',')})`)
      t.same(statuses.slice(LIMIT), [429, 429], `${target}: limited (${statuses.join(',')})`)
    }
  })

  t.test('unknown URLs count against the per-client limit, inside /v1 and outside it', async (t) => {
    const { port } = await listeningApp(t, { RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW: '1 minute' })
    for (const [index, target] of ['/v1/nothing-here', '/v1/products/x/y', '/nothing-here', '/.env', '/health/nothing'].entries()) {
      const client = { 'x-forwarded-for': `198.51.100.${100 + index}` }
      const statuses: number[] = []
      for (let i = 0; i < LIMIT + 2; i++) statuses.push((await rawRequest(port, { method: 'GET', target, headers: client })).status)
      t.same(statuses, [404, 404, 404, 429, 429], target)
    }
  })

  t.test('probes are never limited, and do not use up a client\'s budget', async (t) => {
    const { port } = await listeningApp(t, { RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW: '1 minute' })
    const client = { 'x-forwarded-for': '198.51.100.200' }
    for (let i = 0; i < LIMIT + 2; i++) {
      t.equal((await rawRequest(port, { method: 'GET', target: '/health/live', headers: client })).status, 200)
    }
    t.equal((await rawRequest(port, { method: 'GET', target: '/v1/products?limit=1', headers: client })).status, 200)
  })

  t.test('the stricter auth limit holds for every spelling of an auth path', async (t) => {
    const { port } = await listeningApp(t, { AUTH_RATE_LIMIT_MAX: '2' })
    const body = JSON.stringify({ refreshToken: 'not-a-token' })
    const spellings = ['/v1/auth/refresh', '/v1/auth/%72efresh', '/%761/auth/refresh', 'http://127.0.0.1/v1/auth/refresh', '/v%31/%61uth/refresh']
    for (const [index, target] of spellings.entries()) {
      const headers = { 'x-forwarded-for': `203.0.113.${index + 1}`, 'content-type': 'application/json' }
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) statuses.push((await rawRequest(port, { method: 'POST', target, headers, body })).status)
      t.same(statuses, [401, 401, 429], target)
    }
  })

  t.test('the per-account order limit holds for every spelling of the orders path', async (t) => {
    const { app, port } = await listeningApp(t, { ORDER_RATE_LIMIT_MAX: '2' })
    const admin = await createTestUser(app, 'admin')
    const product = await createProduct(app, admin, { stock: 1000 })
    const spellings = ['/v1/orders', '/%761/orders', '/v1/%6frders', 'http://127.0.0.1/v1/orders']
    for (const target of spellings) {
      // A new account per spelling: the limit is per account, whichever IP it comes from.
      const customer = await createTestUser(app)
      const headers = { ...customer.headers, 'content-type': 'application/json' }
      const body = JSON.stringify({ items: [{ productId: product.id, quantity: 1 }] })
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        statuses.push((await rawRequest(port, { method: 'POST', target, headers: { ...headers, 'x-forwarded-for': `192.0.2.${i + 1}` }, body })).status)
      }
      t.same(statuses, [201, 201, 429], target)
    }
  })
}

await runAlone(import.meta.url, pathSpellingsTests)
