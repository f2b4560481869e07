import { request as httpRequest, type ClientRequest } from 'node:http'
import net from 'node:net'
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { ERROR_LEVEL, httpCall, startServer, type HttpResult } from '../support/server-process.js'
import { pause } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

const CONCURRENT_CLIENTS = 50
const SLOW_UPLOADS = 5
/** The window in which readiness is 503 but the listener still serves, as Kubernetes needs it (see server.ts). */
const DRAIN_DELAY_MS = 2000

/** Resolves once the port refuses connections: the server has stopped taking new ones (close() has begun). */
async function listenerClosed (port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(false) })
      socket.once('error', () => resolve(true))
    })
    if (refused) return
    await pause(25)
  }
}

/**
 * A register request whose body arrives in two parts: the first now, the rest when `finish` resolves.
 * Its headers reach the server (and it is routed) before the shutdown; it completes only after close() began.
 */
function slowRegister (url: string, requestId: string, finish: Promise<void>): Promise<HttpResult> {
  const body = JSON.stringify({ email: `slow-${randomUUID()}@example.test`, password: 'correct horse battery', name: 'Slow Client' })
  const half = Math.floor(body.length / 2)
  return new Promise((resolve, reject) => {
    const req: ClientRequest = httpRequest(`${url}/v1/auth/register`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': requestId }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.write(body.slice(0, half))
    finish.then(() => req.end(body.slice(half)), reject)
  })
}

async function signIn (url: string): Promise<string> {
  const credentials = { email: `steady-${randomUUID()}@example.test`, password: 'correct horse battery' }
  const headers = { 'content-type': 'application/json' }
  const registered = await httpCall(`${url}/v1/auth/register`, { method: 'POST', headers, body: JSON.stringify({ ...credentials, name: 'Steady' }) })
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.body}`)
  const login = await httpCall(`${url}/v1/auth/login`, { method: 'POST', headers, body: JSON.stringify(credentials) })
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.body}`)
  return (JSON.parse(login.body) as { accessToken: string }).accessToken
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function shutdownTests (t: Test): Promise<void> {
  t.test('SIGTERM under load: readiness turns 503, no accepted request is dropped, the process exits 0', async (t) => {
    const server = await startServer(t, { env: { SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), SHUTDOWN_TIMEOUT_MS: '10000' } })
    const token = await signIn(server.url)

    // The load balancer: sends traffic until it sees readiness fail, as Kubernetes endpoints do.
    const balancer = { sendsTraffic: true }
    const steady: Array<{ status?: number, error?: string }> = []
    const client = async () => {
      while (balancer.sendsTraffic) {
        try {
          const response = await httpCall(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } })
          steady.push({ status: response.status })
        } catch (error) {
          steady.push({ error: (error as NodeJS.ErrnoException).code ?? String(error) })
        }
      }
    }
    const clients = Array.from({ length: CONCURRENT_CLIENTS }, client)

    let releaseSlowBodies = () => {}
    const slowBodiesReleased = new Promise<void>((resolve) => { releaseSlowBodies = resolve })
    const slowIds = Array.from({ length: SLOW_UPLOADS }, (_, n) => `slow-upload-${n}`)
    const slow = slowIds.map((id) => slowRegister(server.url, id, slowBodiesReleased))

    // Shut down only once traffic flows and every slow request has been received by the server.
    const received = (id: string) => server.logs().some((line) => line.requestId === id)
    for (let waited = 0; steady.length < 200 || !slowIds.every(received); waited += 25) {
      if (waited > 60_000) throw new Error(`load never started: ${steady.length} answers, slow uploads received: ${slowIds.filter(received).join(', ')}`)
      await pause(25)
    }
    const servedBeforeSignal = steady.length
    const signalledAt = Date.now()
    const stopped = server.stop('SIGTERM')

    const readinessDuringDrain: HttpResult[] = []
    for (;;) {
      const ready = await httpCall(`${server.url}/health/ready`).catch(() => undefined)
      if (ready === undefined) break
      readinessDuringDrain.push(ready)
      if (ready.status === 503) break
      await pause(25)
    }
    balancer.sendsTraffic = false
    await Promise.all(clients)

    // The slow requests send the rest of their bodies only after the listener closed: they are in flight during close().
    await listenerClosed(server.port)
    releaseSlowBodies()
    const slowResults = await Promise.all(slow)
    const exit = await stopped
    const elapsedMs = Date.now() - signalledAt

    const lastReadiness = readinessDuringDrain.at(-1)
    t.equal(lastReadiness?.status, 503, 'readiness answered 503 while the server still accepted connections')
    t.equal((JSON.parse(lastReadiness?.body ?? '{}') as { status?: string }).status, 'fail')

    t.ok(steady.length > servedBeforeSignal, 'clients kept being served after the signal, during the drain')
    const abnormal = steady.filter((outcome) => outcome.status !== 200)
    t.same(abnormal, [], `all ${steady.length} steady requests answered 200: none reset, refused or 503`)

    t.same(slowResults.map((result) => result.status), slowIds.map(() => 201), 'requests in flight when the listener closed completed normally')

    t.same(exit, { code: 0, signal: null }, `exited 0 (after ${elapsedMs} ms), not killed by the shutdown timeout`)
    const messages = server.logs().map((line) => line.msg)
    t.ok(messages.includes('shutdown complete'), 'app.close() finished: database pool and Redis closed by their onClose hooks')
    const errors = server.logs().filter((line) => typeof line.level === 'number' && line.level >= ERROR_LEVEL)
    t.same(errors, [], 'no error-level log line')
    t.equal(server.stderr(), '')
  })
}

await runAlone(import.meta.url, shutdownTests)
