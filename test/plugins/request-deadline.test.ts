/**
 * REQUEST_TIMEOUT_MS over a real socket: a body that trickles in or never comes is cut with a 408 problem and
 * the connection closed, long before the body's natural end; fast requests, slow handlers and idle keep-alive
 * connections are left alone. Timing bounds are generous (twice the deadline) on purpose.
 */
import { connect } from 'node:net'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.js'
import { rawRequest } from '../support/raw-http.js'
import { KeepAliveConnection, sendSlowly } from '../support/slow-client.js'
import { runAlone } from '../support/test-file.js'

const DEADLINE_MS = 1500
const BOUND_MS = 2 * DEADLINE_MS
const BYTE_EVERY_MS = 300
const BODY = JSON.stringify({ note: 'x'.repeat(40) })

function testRoutes (app: FastifyInstance): void {
  app.post('/v1/test/echo', async (request) => request.body)
  // A handler that takes longer than the deadline after the body is in: it is not receiving, so not cut.
  app.post('/v1/test/slow-handler', async (request) => {
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 1000))
    return request.body
  })
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function requestDeadlineTests (t: Test): Promise<void> {
  // One listening app with the short deadline for the socket tests and the inject test (logs captured for the latter,
  // whose assertions pick lines by request id); the abandoned-body test has its own, with a deadline that cannot fire.
  const deadlineApp = await buildTestApp(t, { captureLogs: true, env: { LOG_FORMAT: 'json', REQUEST_TIMEOUT_MS: String(DEADLINE_MS) }, routes: testRoutes })
  await deadlineApp.app.listen({ port: 0, host: '127.0.0.1' })
  const deadlineAddress = deadlineApp.app.server.address()
  if (deadlineAddress === null || typeof deadlineAddress === 'string') throw new Error('not listening on a port')
  const port = deadlineAddress.port

  function head (method: string, target: string, port: number, headers: string[]): string {
    return [`${method} ${target} HTTP/1.1`, `host: 127.0.0.1:${port}`, ...headers].join('\r\n')
  }

  const jsonBodyHeaders = ['content-type: application/json', `content-length: ${Buffer.byteLength(BODY)}`]

  t.test('a body trickled a byte every 300 ms is cut at the deadline with a 408 problem and the connection closed', async (t) => {
    const exchange = await sendSlowly(port, {
      head: head('POST', '/v1/test/echo', port, jsonBodyHeaders),
      chunks: [...BODY],
      intervalMs: BYTE_EVERY_MS,
      giveUpAfterMs: BODY.length * BYTE_EVERY_MS + 5000
    })
    t.equal(exchange.response?.status, 408)
    t.match(exchange.response?.headers['content-type'], /^application\/problem\+json/)
    t.equal(exchange.response?.headers.connection, 'close')
    const problem: unknown = JSON.parse(exchange.response?.body ?? '{}')
    t.match(problem, { type: /\/problems\/request-timeout$/ })
    t.hasStrict(problem, { status: 408, instance: '/v1/test/echo' })
    t.ok(exchange.closedAfterMs < BOUND_MS, `closed after ${Math.round(exchange.closedAfterMs)} ms (bound ${BOUND_MS})`)
    t.ok(exchange.chunksSent < BODY.length, 'the body never got to its end')
  })

  t.test('a body that never comes (stalled after the headers) is cut the same way', async (t) => {
    const framings = [`content-length: ${Buffer.byteLength(BODY)}`, 'transfer-encoding: chunked']
    // Side by side on their own connections: each deadline is per request, so waiting for them in turn proves nothing more.
    const exchanges = await Promise.all(framings.map(async (framing) => [framing, await sendSlowly(port, {
      head: head('POST', '/v1/test/echo', port, ['content-type: application/json', framing]),
      chunks: [],
      intervalMs: BYTE_EVERY_MS,
      giveUpAfterMs: 10_000
    })] as const))
    for (const [framing, exchange] of exchanges) {
      t.equal(exchange.response?.status, 408, framing)
      t.match(exchange.response?.headers['content-type'], /^application\/problem\+json/)
      t.ok(exchange.closedAfterMs < BOUND_MS, `${framing}: closed after ${Math.round(exchange.closedAfterMs)} ms`)
    }
  })

  t.test('an answer given before the body was read (401, 415, 413, a GET) still closes the connection at the deadline', async (t) => {
    const answeredFirst = [
      ['POST', '/v1/orders', 401, jsonBodyHeaders],
      ['POST', '/v1/test/echo', 415, ['content-type: text/plain', `content-length: ${Buffer.byteLength(BODY)}`]],
      ['POST', '/v1/test/echo', 413, ['content-type: application/json', `content-length: ${2 * 1024 * 1024}`]],
      ['GET', '/health/live', 200, jsonBodyHeaders]
    ] as const
    // Side by side on their own connections, as above.
    const exchanges = await Promise.all(answeredFirst.map(async (answer) => [answer, await sendSlowly(port, {
      head: head(answer[0], answer[1], port, [...answer[3]]),
      chunks: [...BODY],
      intervalMs: BYTE_EVERY_MS,
      giveUpAfterMs: BODY.length * BYTE_EVERY_MS + 5000
    })] as const))
    for (const [[method, target, status], exchange] of exchanges) {
      t.equal(exchange.response?.status, status, `${method} ${target} is answered`)
      t.ok(exchange.closedAfterMs < BOUND_MS, `${method} ${target}: closed after ${Math.round(exchange.closedAfterMs)} ms`)
      t.ok(exchange.chunksSent < BODY.length, 'the body never got to its end')
    }
  })

  t.test('fast requests, a body trickled within the deadline, a slow handler and an idle keep-alive connection are not cut', async (t) => {
    const fast = await rawRequest(port, { method: 'POST', target: '/v1/test/echo', headers: { 'content-type': 'application/json' }, body: BODY })
    t.equal(fast.status, 200)
    t.equal(fast.body, BODY)

    const short = '{"a":1}'
    const trickled = await sendSlowly(port, {
      head: head('POST', '/v1/test/echo', port, ['content-type: application/json', `content-length: ${short.length}`, 'connection: close']),
      chunks: [short.slice(0, 3), short.slice(3)],
      intervalMs: BYTE_EVERY_MS,
      giveUpAfterMs: 10_000
    })
    t.equal(trickled.response?.status, 200, 'a body complete within the deadline is answered')

    // The slow handler runs while the keep-alive connection below sits idle: both wait out the deadline, once.
    const slowRequest = rawRequest(port, { method: 'POST', target: '/v1/test/slow-handler', headers: { 'content-type': 'application/json' }, body: BODY })

    const connection = await KeepAliveConnection.open(port)
    t.teardown(() => { connection.close() })
    const get = head('GET', '/v1/products?limit=1', port, [])
    t.equal((await connection.request(get)).status, 200)
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 500))
    t.notOk(connection.closed, 'idle between requests past the deadline, the connection stays open')
    t.equal((await connection.request(get)).status, 200)
    const post = head('POST', '/v1/test/echo', port, jsonBodyHeaders)
    t.equal((await connection.request(post, BODY)).status, 200, 'a body on a reused connection is timed from its own headers')

    const slow = await slowRequest
    t.equal(slow.status, 200, 'a handler slower than the deadline is not cut')
    t.equal(slow.body, BODY)
  })

  t.test('a client that leaves in the middle of its body does not leave a request hanging', async (t) => {
    // Its own app: a deadline that cannot fire during the test, so only the abort can explain the logged error.
    const test = await buildTestApp(t, { captureLogs: true, env: { LOG_FORMAT: 'json', REQUEST_TIMEOUT_MS: '60000' }, routes: testRoutes })
    await test.app.listen({ port: 0, host: '127.0.0.1' })
    const address = test.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('not listening on a port')
    const socket = connect(address.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`${head('POST', '/v1/test/echo', address.port, [...jsonBodyHeaders, 'x-request-id: leaves-mid-body'])}\r\n\r\n${BODY.slice(0, 5)}`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    socket.destroy()
    // Fastify's body reader sees the abort and hands it to the error handler, which logs it; a hung one never does.
    const completed = (): boolean => test.logs.some((line) => line.requestId === 'leaves-mid-body' && line.err !== undefined)
    for (let waited = 0; waited < 3000 && !completed(); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
    t.ok(completed(), 'the abort reached the error handler, long before the 60 s deadline')
  })

  t.test('app.inject requests with a body are not timed out once read (its stand-in request has no `complete`)', async (t) => {
    const test = deadlineApp
    const read = await test.app.inject({ method: 'POST', url: '/v1/test/echo', headers: { 'x-request-id': 'inject-read', 'content-type': 'application/json' }, payload: BODY })
    t.equal(read.statusCode, 200)
    // Nobody reads this body, and inject's request never ends: the deadline passes, and must not crash the process.
    const unread = await test.app.inject({ method: 'GET', url: '/health/live', headers: { 'content-type': 'application/json' }, payload: BODY })
    t.equal(unread.statusCode, 200, 'a GET whose body nobody reads')
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 600))
    t.notOk(test.logs.some((line) => line.requestId === 'inject-read' && line.msg === 'request not received in time'), 'a body that was read is never timed out')
    t.notMatch(test.logText(), /request deadline failed/)
  })
}

await runAlone(import.meta.url, requestDeadlineTests)
