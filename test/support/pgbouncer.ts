/**
 * A private PgBouncer for one test: its own process on a free port, its own config in a temp dir, in front of the
 * PostgreSQL this run uses (DATABASE_URL). The configuration is PgBouncer's stock one plus what every
 * transaction-mode guide sets: `pool_mode = transaction`, `ignore_startup_parameters = extra_float_digits`
 * (pg sends it). Nothing the service needs is configured here: that is the point of the tests that use it.
 */
import { spawn } from 'node:child_process'
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from './server-process.js'

/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
const SEARCH_PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter((dir) => dir !== '')

async function findBinary (): Promise<string | undefined> {
  for (const dir of SEARCH_PATH) {
    const candidate = join(dir, 'pgbouncer')
    if (await access(candidate).then(() => true, () => false)) return candidate
  }
  return undefined
}

export const pgbouncerBinary = await findBinary()

/** tap's skip reason when PgBouncer is not installed (CI installs it: .ci/run). */
export const NEEDS_PGBOUNCER = pgbouncerBinary === undefined
  ? 'needs pgbouncer (apt-get install -y pgbouncer): the transaction-mode pooler tests run through a real one'
  : false

export interface PgbouncerOptions {
  /** Server connections per database/user pair; PgBouncer's default is 20. */
  defaultPoolSize?: number
  /** Client connections PgBouncer accepts; its default is 100. */
  maxClientConn?: number
}

export interface Pgbouncer {
  port: number
  /** The URL `databaseUrl` would have through this PgBouncer: same user, password and database name. */
  through: (databaseUrl: string) => string
  /** What PgBouncer wrote to stderr (its log). */
  log: () => string
}

const quote = (text: string) => `"${text.replaceAll('"', '""')}"`

async function portOpen (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

/** Starts PgBouncer in front of the server `upstreamUrl` names; stopped (SIGINT, then SIGKILL) when the test ends. */
export async function startPgbouncer (t: Test, upstreamUrl: string, options: PgbouncerOptions = {}): Promise<Pgbouncer> {
  if (pgbouncerBinary === undefined) throw new Error('pgbouncer is not installed')
  const upstream = new URL(upstreamUrl)
  const user = decodeURIComponent(upstream.username || 'postgres')
  const password = decodeURIComponent(upstream.password)
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'shop-pgbouncer-'))
  // PgBouncer refuses to run as root; as root it is started with `-u postgres`, which must read the files.
  await chmod(dir, 0o755)
  const ini = join(dir, 'pgbouncer.ini')
  const host = upstream.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'
  await writeFile(join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`, { mode: 0o644 })
  await writeFile(ini, [
    '[databases]',
    // The wildcard: every database name goes to the same server, so each test file's own database works.
    `* = host=${host} port=${upstream.port || '5432'}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    'ignore_startup_parameters = extra_float_digits',
    ...(options.defaultPoolSize === undefined ? [] : [`default_pool_size = ${options.defaultPoolSize}`]),
    ...(options.maxClientConn === undefined ? [] : [`max_client_conn = ${options.maxClientConn}`]),
    ''
  ].join('\n'), { mode: 0o644 })

  const asRoot = process.getuid?.() === 0
  const child = spawn(pgbouncerBinary, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { log += chunk })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  t.teardown(async () => {
    // SIGINT: PgBouncer's safe shutdown, after its clients are gone (the test's apps close before this teardown).
    if (!exited) child.kill('SIGINT')
    const killer = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 5000)
    await exit
    clearTimeout(killer)
    await rm(dir, { recursive: true, force: true })
  })

  const started = Date.now()
  while (!await portOpen(port)) {
    if (exited) throw new Error(`pgbouncer exited during start:\n${log}`)
    if (Date.now() - started > 10_000) throw new Error(`pgbouncer not listening within 10 s:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return {
    port,
    through: (databaseUrl: string) => {
      const url = new URL(databaseUrl)
      url.hostname = '127.0.0.1'
      url.port = String(port)
      return url.toString()
    },
    log: () => log
  }
}
