/**
 * What Node's HTTP parser rejects never reaches a route or the error handler: these requests go over a raw
 * socket, as no HTTP client would send them, and must still be answered as RFC 9457 problems.
 */
import { Socket } from 'node:net'
import type { Test } from 'tap'
import type { ConnectionError, FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'
import { sendSlowly } from '../support/slow-client.js'
import { answerClientError } from '../../src/client-error.js'
import { runAlone } from '../support/test-file.js'

async function listening (t: Test): Promise<number> {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return address.port
}

const CASES: Array<{ name: string, head: string, status: number, slug: string }> = [
  { name: 'a request line with an invalid method', head: 'G@T /v1/products HTTP/1.1\r\nhost: x', status: 400, slug: 'malformed-request' },
  { name: 'a request line with an invalid HTTP version', head: 'GET /v1/products HTTZ/1.1\r\nhost: x', status: 400, slug: 'malformed-request' },
  { name: 'a header name with an invalid character', head: 'GET /v1/products HTTP/1.1\r\nhost: x\r\nx(bad): 1', status: 400, slug: 'malformed-request' },
  { name: 'a header value with a control character', head: 'GET /v1/products HTTP/1.1\r\nhost: x\r\nx-bad: a\u0001b', status: 400, slug: 'malformed-request' },
  { name: 'a header over the size limit', head: `GET /v1/products HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}`, status: 431, slug: 'request-header-fields-too-large' }
]

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function malformedHttpTests (t: Test): Promise<void> {
  t.test('requests the HTTP parser rejects are answered as problem+json with the right status, then closed', async (t) => {
    const port = await listening(t)
    for (const { name, head, status, slug } of CASES) {
      const { response } = await sendSlowly(port, { head, chunks: [], intervalMs: 100, giveUpAfterMs: 5000 })
      t.equal(response?.status, status, name)
      t.match(response?.headers['content-type'], /^application\/problem\+json/, `${name}: content type`)
      t.equal(response?.headers.connection, 'close', `${name}: connection closed`)
      const body = JSON.parse(response?.body ?? '{}') as Record<string, unknown>
      t.match(body, { type: new RegExp(`/problems/${slug}$`), title: String, status }, `${name}: problem body`)
      t.equal(body.requestId, response?.headers['x-request-id'], `${name}: the request id is in the body and the header`)
    }
  })

  t.test('the client error handler never throws, whatever state the socket is in', async (t) => {
    const lines: unknown[] = []
    const fastify = { log: { info: (line: unknown) => { lines.push(line) } } } as unknown as FastifyInstance
    const parseError = Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_METHOD', bytesParsed: 0, rawPacket: { type: 'Buffer', data: [] } }) as ConnectionError

    const destroyed = new Socket()
    destroyed.destroy()
    t.doesNotThrow(() => { answerClientError.call(fastify, parseError, destroyed) }, 'an already destroyed socket')

    const ended = new Socket()
    ended.on('error', () => {})
    ended.end()
    t.doesNotThrow(() => { answerClientError.call(fastify, parseError, ended) }, 'a socket no longer writable')
    t.ok(ended.destroyed, 'and it is destroyed')

    const reset = new Socket()
    t.doesNotThrow(() => { answerClientError.call(fastify, { ...parseError, code: 'ECONNRESET' }, reset) }, 'a reset connection')
    t.ok(reset.destroyed)

    const throwingLog = { log: { info: () => { throw new Error('log transport down') } } } as unknown as FastifyInstance
    const other = new Socket()
    t.doesNotThrow(() => { answerClientError.call(throwingLog, parseError, other) }, 'even a failing logger')
    t.ok(other.destroyed)
  })
}

await runAlone(import.meta.url, malformedHttpTests)
