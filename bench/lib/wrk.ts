import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LoadFigures, LoadRequest, LoadSettings } from './load.js'

const run = promisify(execFile)

export async function wrkAvailable (): Promise<string | undefined> {
  try {
    // wrk prints its version with the usage text and exits 1 when given no URL.
    await run('wrk', ['--version'])
  } catch (error) {
    const output = String((error as { stdout?: unknown }).stdout ?? '')
    const version = /^wrk (\S+)/m.exec(output)?.[1]
    if (version !== undefined) return `wrk ${version}`
  }
  return undefined
}

/** A Lua long string whose brackets cannot occur in the text (LuaJIT knows no \u escapes, so no JSON.stringify). */
function luaString (text: string): string {
  let level = ''
  while (text.includes(`]${level}]`)) level += '='
  return `[${level}[${text}]${level}]`
}

function script (request: LoadRequest): string {
  const lines = [`wrk.method = ${luaString(request.method)}`]
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`)
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
  return `${lines.join('\n')}\n`
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function latencyMs (output: string, percent: number): number {
  const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output)
  if (match?.[1] === undefined || match[2] === undefined) return Number.NaN
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN)
}

/** One wrk burst (-t1: one load thread, see bench/README.md, Method); it cannot pace, so probes stay on autocannon. */
export async function runWrk (baseUrl: string, request: LoadRequest, settings: LoadSettings, pinToCore?: number): Promise<LoadFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-wrk-'))
  try {
    const scriptFile = join(dir, 'request.lua')
    await writeFile(scriptFile, script(request))
    // --timeout as autocannon's default: wrk's own 2 s would count slow (PGlite, argon2) answers as errors.
    const args = ['-t1', `-c${settings.connections}`, `-d${settings.seconds}s`, '--timeout', '10s', '--latency', '-s', scriptFile, `${baseUrl}${request.path}`]
    const argv = pinToCore === undefined ? ['wrk', ...args] : ['taskset', '-c', String(pinToCore), 'wrk', ...args]
    const [program = 'wrk', ...rest] = argv
    const { stdout } = await run(program, rest, { maxBuffer: 1024 * 1024 })
    const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(stdout)
    const requests = Number(total?.[1] ?? 0)
    const seconds = Number(total?.[2] ?? settings.seconds) * (UNIT_MS[total?.[3] ?? 's'] ?? 1000) / 1000
    const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
    const errors = socket === null ? 0 : socket.slice(1).reduce((sum, count) => sum + Number(count), 0)
    const ok = requests - failed
    return {
      requestsPerSecond: seconds > 0 ? ok / seconds : 0,
      p50Ms: latencyMs(stdout, 50),
      p99Ms: latencyMs(stdout, 99),
      ok,
      failed,
      errors,
      statusCodes: failed > 0 ? { '4xx/5xx': failed } : {}
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
