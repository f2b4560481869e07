import module from 'node:module'
import closeWithGrace from 'close-with-grace'
import { ConfigError, type Config } from './config.js'
import { loadDotEnv, readConfiguration } from './environment.js'
import { drainAndClose } from './shutdown.js'
import { startTracing, tracingRequested } from './tracing.js'

// Node ≥ 22.1 keeps the compiled code of every module loaded from here on (in the OS temp dir), so a restart
// skips most of the compilation: ~15 % less CPU to ready on Node 24 (docs/operations.md, "Boot"). The app is
// imported below this line for that reason; on Node 20 the call does not exist and nothing changes.
module.enableCompileCache?.()
// Tracing starts before the app is imported, because its pg and ioredis instrumentations patch those modules as
// they load; .env is read first so OTEL_* set there count too. Off (nothing imported) unless asked for.
loadDotEnv()
const tracing = tracingRequested() ? await startTracing() : undefined
const { buildApp } = await import('./app.js')

async function readConfig (): Promise<Config> {
  try {
    return await readConfiguration()
  } catch (error) {
    if (error instanceof ConfigError) {
      // The logger needs a valid config; this one message on stderr is all an operator gets, so make it complete.
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

const config = await readConfig()
const app = await buildApp(config).catch((error: unknown) => {
  process.stderr.write(`could not build the app: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  app.log.info({ signal }, 'shutdown begins: readiness now 503')
  // The drain delay gives the load balancer time to see readiness fail before the listener closes.
  await drainAndClose(app, config.shutdownDrainDelayMs)
  // After the last response: the spans of the drained requests are still in the exporter's buffer.
  await tracing?.shutdown()
  app.log.info('shutdown complete')
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  app.log.fatal({ err: error }, 'could not start')
  process.exit(1)
}

// Written now rather than at exit, so a process that is killed (OOM, SIGKILL after the grace period) still leaves
// the cache for the next start. Boot-time disk I/O, never on a request path.
module.flushCompileCache?.()

// What a newcomer needs next, once, where they are looking: the URL to open and how to become an admin.
const base = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${config.port}`
if (config.docsEnabled) app.log.info({ docs: `${base}/docs` }, `Swagger UI: ${base}/docs`)
if (config.admin === undefined) {
  app.log.info('no admin account is configured: set ADMIN_EMAIL and ADMIN_PASSWORD and restart to create one at boot')
}
