/**
 * The BUILT server (dist/src/server.js, what the container runs) as a real child process on a real port,
 * for proofs that need signals, sockets and process exit: graceful shutdown, outages, several replicas.
 * `npm test` builds dist/ first (pretest); run `npm run build` before running these files alone.
 */
import { spawn } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { testEnv, type TestAppOptions } from './test-env.js'

export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url))
/** The node flags of `npm start` (and the image's CMD): `node <flags> dist/src/server.js`. */
const START_FLAGS = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } })
  .scripts.start.split(' ').filter((word) => word.startsWith('--'))
/** Boot on PGlite copies a data dir and opens WASM PostgreSQL; on a loaded 2-core machine that takes seconds. */
const BOOT_TIMEOUT_MS = 60_000
const POLL_INTERVAL_MS = 50

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface ServerProcess {
  port: number
  url: string
  pid: number
  /** Every JSON log line written so far. */
  logs: () => Array<Record<string, unknown>>
  /** Everything written to stdout so far (pretty logs are not JSON). */
  stdout: () => string
  stderr: () => string
  /** Sends a signal (default SIGTERM) and resolves when the process has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit>
  /** Resolves when the process exits, however that happens. */
  exited: Promise<Exit>
}

export interface StartOptions {
  /** Environment on top of the test back ends (testEnv): same PostgreSQL database / Redis prefix as the test's apps. */
  env?: Record<string, string>
  /** Reuse the environment of another server (three replicas on one database), instead of a new one. */
  baseEnv?: Record<string, string>
}

export interface HttpResult { status: number, headers: IncomingHttpHeaders, body: string }

/** A port nobody listens on right now: the server logs its address, but PORT=0 would leave us parsing logs for it. */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * One HTTP request on a fresh connection (no keep-alive), so every request is a new TCP connection like
 * a client behind a balancer that opened it; resolves with the response or rejects with the socket error.
 */
export async function httpCall (
  url: string,
  options: { method?: string, headers?: Record<string, string>, body?: string, timeoutMs?: number } = {}
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => { req.destroy(new Error(`no answer within ${options.timeoutMs ?? 0} ms`)) })
    }
    req.end(options.body)
  })
}

/** The environment a server process gets: this test run's back ends, JSON logs at info, then the overrides. */
export async function serverEnv (t: Test, options: TestAppOptions = {}): Promise<Record<string, string>> {
  return testEnv(t, { ...options, captureLogs: true })
}

export async function startServer (t: Test, options: StartOptions = {}): Promise<ServerProcess> {
  await access(SERVER_ENTRY).catch(() => { throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`) })
  const port = await freePort()
  const env = { ...(options.baseEnv ?? await serverEnv(t)), ...options.env, PORT: String(port), HOST: '127.0.0.1' }
  // A scratch working directory: server.ts reads ./.env, and a developer's .env must not change what the test runs.
  const cwd = await mkdtemp(join(tmpdir(), 'shop-server-'))
  const child = spawn(process.execPath, [...START_FLAGS, SERVER_ENTRY], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  let hasExited = false
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => {
    hasExited = true
    resolve({ code, signal })
  }))

  t.teardown(async () => {
    if (!hasExited) { child.kill('SIGKILL'); await exited }
    await rm(cwd, { recursive: true, force: true })
  })

  const url = `http://127.0.0.1:${port}`
  const started = Date.now()
  for (;;) {
    if (hasExited) throw new Error(`server exited during boot:\n${stderr}\n${stdout.slice(-2000)}`)
    if (Date.now() - started > BOOT_TIMEOUT_MS) throw new Error(`server not ready within ${BOOT_TIMEOUT_MS} ms:\n${stderr}\n${stdout.slice(-2000)}`)
    const ready = await httpCall(`${url}/health/ready`, { timeoutMs: 2000 }).catch(() => undefined)
    if (ready?.status === 200) break
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
  }

  return {
    port,
    url,
    pid: child.pid ?? -1,
    logs: () => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (!hasExited) child.kill(signal)
      return exited
    }
  }
}

/** pino's numeric levels: 50 is error, 60 fatal. */
export const ERROR_LEVEL = 50

export interface Credentials { email: string, password: string }

/** An admin the server creates at boot from ADMIN_EMAIL / ADMIN_PASSWORD, for process tests that write over HTTP. */
export function bootstrapAdmin (label: string): { credentials: Credentials, env: Record<string, string> } {
  const credentials = { email: `${label}-admin-${process.pid}@example.test`, password: 'admin password for this test' }
  return { credentials, env: { ADMIN_EMAIL: credentials.email, ADMIN_PASSWORD: credentials.password } }
}

/** Signs in as `admin` and creates a product over HTTP; fails loudly unless both answered as they should. */
export async function createProductOverHttp (
  server: ServerProcess, admin: Credentials, product: { sku: string, name: string, priceCents: number, stock: number }
): Promise<string> {
  const json = { 'content-type': 'application/json' }
  const login = await httpCall(`${server.url}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(admin) })
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}: ${login.body}`)
  const { accessToken } = JSON.parse(login.body) as { accessToken: string }
  const created = await httpCall(`${server.url}/v1/products`, {
    method: 'POST', headers: { ...json, authorization: `Bearer ${accessToken}` }, body: JSON.stringify(product)
  })
  if (created.status !== 201) throw new Error(`product create answered ${created.status}: ${created.body}`)
  return (JSON.parse(created.body) as { id: string }).id
}

/** One series of the server's /metrics, e.g. `cache_connected{backend="redis"}`; NaN when it is absent. */
export async function metricOf (server: ServerProcess, series: string): Promise<number> {
  const text = (await httpCall(`${server.url}/metrics`)).body
  const escaped = series.replace(/[{}]/g, '\\$&')
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}
