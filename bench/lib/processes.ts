import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Servers on core 0, load generators on core 1 (bench/README.md, Method: pin every contender alike, or none). */
export const SERVER_CORE = 0
export const LOAD_CORE = 1

const READY_POLL_MS = 20
const STOP_GRACE_MS = 15_000
const KEPT_OUTPUT_LINES = 40

export async function tasksetAvailable (): Promise<boolean> {
  try {
    await run('taskset', ['--version'])
    return true
  } catch {
    return false
  }
}

/** Moves this process and every thread it has (-a) onto one core; threads started later inherit it. */
export async function pinSelf (core: number): Promise<void> {
  await run('taskset', ['-a', '-p', '-c', String(core), String(process.pid)])
}

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export interface ServerProcess {
  name: string
  pid: number
  port: number
  baseUrl: string
  /** Milliseconds from spawn to the first successful answer of the ready path. */
  bootMs: number
  /** Peak resident set size since start or the last resetPeakRss(), in KiB (VmHWM). */
  peakRssKb(): Promise<number | undefined>
  /** Starts a new peak measurement (Linux: writing 5 to clear_refs resets VmHWM). */
  resetPeakRss(): Promise<boolean>
  /** The last lines the server printed (it logs at warn: anything here deserves a look). */
  recentOutput(): string[]
  /** How many lines it printed in all (the kept ones are only the last few). */
  linesPrinted(): number
  stop(): Promise<void>
}

export interface StartOptions {
  name: string
  /** argv without the taskset prefix, e.g. ['node', 'dist/src/server.js']. */
  command: string[]
  env: Record<string, string>
  port: number
  /** Path that answers 200 once the server can take load. */
  readyPath: string
  pinToCore?: number
  readyTimeoutMs?: number
  cwd?: string
}

/** Children get only what they are given (plus PATH/HOME): the harness's own DATABASE_URL must not leak in. */
function baseEnvironment (): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name]
    if (value !== undefined) kept[name] = value
  }
  return kept
}

export async function startServer (options: StartOptions): Promise<ServerProcess> {
  const argv = options.pinToCore === undefined
    ? options.command
    : ['taskset', '-c', String(options.pinToCore), ...options.command]
  const [program, ...args] = argv
  if (program === undefined) throw new Error(`${options.name}: empty command`)
  const startedAt = performance.now()
  // taskset execs the program, so the child's pid is the server's own (what /proc/<pid>/status describes).
  const child = spawn(program, args, { env: { ...baseEnvironment(), ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = keepLastLines(child)
  // 'close' rather than 'exit': it fires once the output pipes are drained, so a dying server's last words are kept.
  let gone: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('close', (code, signal) => { gone = signal === null ? `exit code ${String(code)}` : `signal ${signal}`; resolve() })
  })

  const baseUrl = `http://127.0.0.1:${options.port}`
  try {
    await waitForReady(`${baseUrl}${options.readyPath}`, options.readyTimeoutMs ?? 60_000, () => gone)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`${options.name} did not become ready: ${(error as Error).message}\n--- last output ---\n${output.lines.join('\n')}`)
  }
  const bootMs = performance.now() - startedAt
  const pid = child.pid ?? -1

  return {
    name: options.name,
    pid,
    port: options.port,
    baseUrl,
    bootMs,
    peakRssKb: async () => readPeakRssKb(pid),
    resetPeakRss: async () => {
      try {
        await writeFile(`/proc/${pid}/clear_refs`, '5')
        return true
      } catch {
        return false
      }
    },
    recentOutput: () => [...output.lines],
    linesPrinted: () => output.count(),
    stop: async () => {
      if (gone !== undefined) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => { child.kill('SIGKILL') }, STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    }
  }
}

async function waitForReady (url: string, timeoutMs: number, hasExited: () => string | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs
  let lastProblem = 'no answer yet'
  while (performance.now() < deadline) {
    const exit = hasExited()
    if (exit !== undefined) throw new Error(`process exited (${exit})`)
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status === 200) return
      lastProblem = `status ${response.status}`
    } catch (error) {
      lastProblem = (error as Error).message
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS))
  }
  throw new Error(`timed out after ${timeoutMs} ms (${lastProblem})`)
}

async function readPeakRssKb (pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)
    return match?.[1] === undefined ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/** The server's own output, kept only to explain a failed start (the service logs at warn). */
function keepLastLines (child: ChildProcess): { lines: string[], count: () => number } {
  const lines: string[] = []
  let count = 0
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue
      count++
      lines.push(line)
      if (lines.length > KEPT_OUTPUT_LINES) lines.shift()
    }
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { lines, count: () => count }
}
