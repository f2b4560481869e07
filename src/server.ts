import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig, type Config } from './config.js'
import { buildApp } from './app.js'

/** A .env file in the working directory is a development convenience; real environment variables win. */
function loadDotEnv (): void {
  try {
    process.loadEnvFile('.env')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

function readConfig (): Config {
  loadDotEnv()
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      // The logger needs a valid config; this one message on stderr is all an operator gets, so make it complete.
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

const config = readConfig()
const app = await buildApp(config).catch((error: unknown) => {
  process.stderr.write(`could not build the app: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  app.log.info({ signal }, 'shutdown begins: readiness now 503')
  app.lifecycle.beginShutdown()
  // Give the load balancer time to see readiness fail before the listener closes (Kubernetes: or a preStop sleep).
  if (config.shutdownDrainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainDelayMs))
  await app.close()
  app.log.info('shutdown complete')
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  app.log.fatal({ err: error }, 'could not start')
  process.exit(1)
}
