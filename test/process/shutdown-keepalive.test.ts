/**
 * Graceful shutdown as real clients see it: connection pools that keep sockets alive (Node's fetch/undici,
 * `http.Agent({ keepAlive: true })`, every ingress controller and service mesh). The first release's shutdown
 * test used `agent: false` and passed while 47 of 50 pooled requests were reset and the process waited for the
 * grace timeout with sockets that stayed open after their response.
 */
import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http'
import type { Test } from 'tap'
import { httpCall, startServer, type ServerProcess } from '../support/server-process.js'
import { runAlone } from '../support/test-file.js'

const CONCURRENT = 50
const LIST_PATH = '/v1/products?limit=100'
/** Far above what a drain takes here; an exit at it would mean "killed by the timeout" (exit code 1). */
const SHUTDOWN_TIMEOUT_MS = 20_000

interface Outcome { status?: number, connection?: string, error?: string }

function outcomeOfError (error: unknown): Outcome {
  const cause = (error as { cause?: { code?: string } }).cause
  return { error: cause?.code ?? (error as NodeJS.ErrnoException).code ?? String(error) }
}

async function viaFetch (url: string): Promise<Outcome> {
  try {
    const response = await fetch(url)
    await response.arrayBuffer()
    return { status: response.status, connection: response.headers.get('connection') ?? undefined }
  } catch (error) {
    return outcomeOfError(error)
  }
}

async function viaAgent (agent: Agent, url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { agent }, (response) => {
      response.resume()
      const headers: IncomingHttpHeaders = response.headers
      response.on('end', () => resolve({ status: response.statusCode, connection: headers.connection }))
      response.on('error', (error) => resolve(outcomeOfError(error)))
    })
    request.on('error', (error) => resolve(outcomeOfError(error)))
    request.end()
  })
}

/**
 * Fires CONCURRENT requests, sends SIGTERM 5 ms later (as the defect report did), and collects everything.
 * Each asks for a page of its own: a cached page is answered from memory, and 50 of those can all be out before
 * the signal lands; 50 database reads are still in flight, so some responses are written during the shutdown.
 */
async function signalUnderLoad (server: ServerProcess, send: (url: string) => Promise<Outcome>) {
  const outcomes = Promise.all(Array.from({ length: CONCURRENT }, async (_, index) => send(`${server.url}${LIST_PATH}&page=${index + 1}`)))
  await new Promise((resolve) => setTimeout(resolve, 5))
  const signalledAt = Date.now()
  const exit = await server.stop('SIGTERM')
  return { outcomes: await outcomes, exit, exitMs: Date.now() - signalledAt }
}

const configurations: Array<{ name: string, env: Record<string, string> }> = [
  { name: 'default configuration (no drain delay)', env: {} },
  { name: 'Kubernetes configuration (1 s drain delay)', env: { SHUTDOWN_DRAIN_DELAY_MS: '1000' } }
]

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function shutdownKeepaliveTests (t: Test): Promise<void> {
  for (const { name, env } of configurations) {
    const serverEnv = { NODE_ENV: 'production', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env }

    t.test(`${name}: keep-alive fetch() pool, SIGTERM mid-burst: every request answered, exit 0 long before the timeout`, async (t) => {
      const server = await startServer(t, { env: serverEnv })
      // Warm the pool first, so the burst runs on sockets kept alive from earlier responses.
      await Promise.all(Array.from({ length: 10 }, async () => viaFetch(`${server.url}${LIST_PATH}`)))
      const { outcomes, exit, exitMs } = await signalUnderLoad(server, viaFetch)
      t.same(outcomes.filter((outcome) => outcome.status !== 200), [], `all ${CONCURRENT} answered 200, none reset`)
      t.same(exit, { code: 0, signal: null }, `exit 0 after ${exitMs} ms, not killed by the ${SHUTDOWN_TIMEOUT_MS} ms timeout`)
      t.ok(exitMs < SHUTDOWN_TIMEOUT_MS / 2, `exited well before the grace timeout (${exitMs} ms)`)
      t.notOk(server.logs().some((line) => String(line.msg).includes('killed by timeout')))
    })

    t.test(`${name}: http.Agent keepAlive pool: every request answered; responses after the signal say connection: close`, async (t) => {
      const server = await startServer(t, { env: serverEnv })
      const agent = new Agent({ keepAlive: true })
      t.teardown(() => { agent.destroy() })
      await Promise.all(Array.from({ length: 10 }, async () => viaAgent(agent, `${server.url}${LIST_PATH}`)))
      const { outcomes, exit, exitMs } = await signalUnderLoad(server, async (url) => viaAgent(agent, url))
      t.same(outcomes.filter((outcome) => outcome.status !== 200), [], `all ${CONCURRENT} answered 200, none reset`)
      t.ok(outcomes.some((outcome) => outcome.connection === 'close'), 'responses written during the shutdown close their connection')
      t.same(exit, { code: 0, signal: null }, `exit 0 after ${exitMs} ms`)
      t.ok(exitMs < SHUTDOWN_TIMEOUT_MS / 2, `exited well before the grace timeout (${exitMs} ms)`)
    })
  }

  t.test('rolling deploy under keep-alive load: the old replica drains while a new one takes over, 0 requests dropped', async (t) => {
    // 20 clients in a loop send ~10 000 requests over the switch on a quiet machine: above the tests' usual limit.
    const env = { NODE_ENV: 'production', SHUTDOWN_DRAIN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), RATE_LIMIT_MAX: '1000000' }
    const old = await startServer(t, { env })
    const next = await startServer(t, { env })
    const agent = new Agent({ keepAlive: true })
    t.teardown(() => { agent.destroy() })

    // The balancer: sends to the old replica while its readiness is 200, as endpoints do, then to the new one.
    let target = old
    const load = { running: true }
    const outcomes: Outcome[] = []
    const watcher = (async () => {
      while (load.running && target === old) {
        const ready = await httpCall(`${old.url}/health/ready`).catch(() => undefined)
        if (ready?.status !== 200) target = next
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    const clients = Array.from({ length: 20 }, async () => {
      while (load.running) outcomes.push(await viaAgent(agent, `${target.url}${LIST_PATH}`))
    })

    while (outcomes.length < 200) await new Promise((resolve) => setTimeout(resolve, 20))
    const exit = await old.stop('SIGTERM')
    const servedAtSwitch = outcomes.length
    while (outcomes.length < servedAtSwitch + 200) await new Promise((resolve) => setTimeout(resolve, 20))
    load.running = false
    await Promise.all([watcher, ...clients])

    t.equal(target, next, 'traffic moved to the new replica')
    t.same(outcomes.filter((outcome) => outcome.status !== 200), [], `all ${outcomes.length} requests answered 200 across the switch`)
    t.same(exit, { code: 0, signal: null }, 'the old replica exited 0')
  })
}

await runAlone(import.meta.url, shutdownKeepaliveTests)
