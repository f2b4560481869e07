import type { Test } from 'tap'
import { createShopClient, isProblem, PROBLEM_TYPE_PREFIX } from '../../client/index.js'
import { runAlone } from '../support/test-file.js'

/** A client whose requests land here instead of on a network, answered with `answer`. */
function recording (answer: () => Response, accessToken?: () => string | undefined): { client: ReturnType<typeof createShopClient>, seen: Request[] } {
  const seen: Request[] = []
  const fetch = async (request: Request): Promise<Response> => { seen.push(request); return answer() }
  return { client: createShopClient('http://shop.test', { fetch, accessToken }), seen }
}
const meAnswer = (): Response => Response.json({ id: 'u', email: 'a@example.test', name: 'A', role: 'customer', createdAt: '2026-01-01T00:00:00.000Z' })

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function clientTests (t: Test): Promise<void> {
  t.test('accessToken is asked for on every request and sent as a bearer token', async (t) => {
    let token: string | undefined = 'first'
    const { client, seen } = recording(meAnswer, () => token)
    await client.GET('/v1/users/me')
    token = 'second'
    await client.GET('/v1/users/me')
    token = undefined
    await client.GET('/v1/users/me')
    t.same(seen.map((request) => request.headers.get('authorization')), ['Bearer first', 'Bearer second', null])
    t.equal(seen[0]?.url, 'http://shop.test/v1/users/me')
  })

  t.test('a request that sets its own authorization keeps it', async (t) => {
    const { client, seen } = recording(meAnswer, () => 'from-option')
    await client.GET('/v1/users/me', { headers: { authorization: 'Bearer from-call' } })
    t.equal(seen[0]?.headers.get('authorization'), 'Bearer from-call')
  })

  t.test('isProblem holds only for this service\'s problems, and for the named slug', async (t) => {
    const shortage = { type: `${PROBLEM_TYPE_PREFIX}insufficient-stock`, title: 'Conflict', status: 409 }
    t.ok(isProblem(shortage))
    t.ok(isProblem(shortage, 'insufficient-stock'))
    t.notOk(isProblem(shortage, 'email-taken'))
    const gateway = { type: 'https://gateway.example/problems/insufficient-stock', title: 'Conflict', status: 409 }
    t.notOk(isProblem(gateway), 'another issuer')
    t.notOk(isProblem(gateway, 'insufficient-stock'), 'another issuer, same slug')
    t.notOk(isProblem('<html>502 Bad Gateway</html>'), 'a proxy\'s page, which openapi-fetch hands over as error')
    t.notOk(isProblem(''), 'what openapi-fetch reports as error for a 304')
    t.notOk(isProblem({ type: `${PROBLEM_TYPE_PREFIX}x`, status: '409' }), 'status must be a number')

    // A problem answer as openapi-fetch hands it over: `error`, typed from the document, read without casts.
    const { client } = recording(() => new Response(JSON.stringify({ ...shortage, shortages: [{ productId: 'p', requested: 2, available: 1 }] }),
      { status: 409, headers: { 'content-type': 'application/problem+json' } }))
    const { error } = await client.POST('/v1/orders', { body: { items: [{ productId: 'p', quantity: 2 }] } })
    if (!isProblem(error, 'insufficient-stock')) throw new Error('not the problem sent')
    t.same(error.shortages, [{ productId: 'p', requested: 2, available: 1 }])
  })
}

await runAlone(import.meta.url, clientTests)
