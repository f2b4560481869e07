import type { Test } from 'tap'
import Fastify from 'fastify'
import fastifyHelmet from '@fastify/helmet'
import { buildTestApp } from '../helper.js'
// The helmet options the security plugin uses, given to @fastify/helmet as before the headers were precomputed.
import { HELMET_OPTIONS } from '../../plugins/security.js'
import { runAlone } from '../support/test-file.js'

async function helmetReference (): Promise<Record<string, unknown>> {
  const reference = Fastify()
  await reference.register(fastifyHelmet, HELMET_OPTIONS)
  reference.get('/', async () => ({ ok: true }))
  const response = await reference.inject({ method: 'GET', url: '/' })
  await reference.close()
  return response.headers
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function securityTests (t: Test): Promise<void> {
  // Both tests only read the answers of one default app.
  const { app } = await buildTestApp(t)

  function securityHeaders (headers: Record<string, unknown>, names: string[]): Record<string, unknown> {
    return Object.fromEntries(names.map((name) => [name, headers[name]]))
  }

  t.test('every answer carries exactly the headers @fastify/helmet sets for the same options', async (t) => {
    const reference = await helmetReference()
    // Everything helmet sets, i.e. what a bare Fastify answer does not carry.
    const bare = Fastify()
    bare.get('/', async () => ({ ok: true }))
    const bareHeaders = (await bare.inject({ method: 'GET', url: '/' })).headers
    await bare.close()
    const names = Object.keys(reference).filter((name) => !(name in bareHeaders))
    t.ok(names.includes('content-security-policy') && names.includes('strict-transport-security'), 'the reference sets helmet headers')

    for (const url of ['/health/live', '/v1/products?limit=1', '/v1/products/not-a-uuid', '/no/such/route']) {
      const response = await app.inject({ method: 'GET', url })
      t.same(securityHeaders(response.headers, names), securityHeaders(reference, names), `${url} (${response.statusCode})`)
    }
  })

  t.test('the content security policy keeps the docs exceptions and no https upgrade', async (t) => {
    const csp = String((await app.inject({ method: 'GET', url: '/health/live' })).headers['content-security-policy'])
    t.match(csp, /style-src 'self' 'unsafe-inline'/)
    t.match(csp, /img-src 'self' data:/)
    t.notMatch(csp, /upgrade-insecure-requests/)
  })
}

await runAlone(import.meta.url, securityTests)
