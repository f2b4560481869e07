import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { testEnv, type TestAppOptions } from './support/test-env.js'

export { usingPostgres, usingRedis } from './support/backends.js'
export { TEST_JWT_SECRET, testEnv, type TestAppOptions } from './support/test-env.js'

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: Array<Record<string, unknown>>
  /** Raw log text, for "never contains" assertions. */
  logText: () => string
}

/** Builds the app exactly as production does (same builder, same options) and closes it when the test ends. */
export async function buildTestApp (t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(await testEnv(t, options))
  const chunks: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, done) { chunks.push(chunk.toString()); done() }
  })
  const app = await buildApp(config, { logStream })
  t.teardown(async () => { await app.close() })
  options.routes?.(app)
  await app.ready()
  const logs: Array<Record<string, unknown>> = []
  return {
    app,
    config,
    get logs () {
      logs.length = 0
      for (const line of chunks.join('').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      return logs
    },
    logText: () => chunks.join('')
  }
}
