import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { loadConfig, maskUrlPassword, type Config } from './config.js'

/**
 * Where `npm run dev` keeps the JWT secret it generated, so a reload does not sign out Swagger UI and every
 * client. Next to the embedded database, under the git-ignored .data/.
 */
export const DEVELOPMENT_JWT_SECRET_FILE = '.data/jwt-secret'

/** A .env file in the working directory is a development convenience; real environment variables win. */
export function loadDotEnv (file = '.env'): void {
  try {
    process.loadEnvFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** The secret kept in `file`, made (0600) on first use. */
export async function developmentJwtSecret (file = DEVELOPMENT_JWT_SECRET_FILE): Promise<string> {
  try {
    const kept = (await readFile(file, 'utf8')).trim()
    if (kept.length >= 32) return kept
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const secret = randomBytes(48).toString('base64url')
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${secret}\n`, { mode: 0o600 })
  return secret
}

/**
 * How every entry point (the server, `npm run migrate`, `npm run seed`) reads its configuration, so none of
 * them can use another database than the others: .env first, the real environment over it, then validation.
 * Only in development (NODE_ENV unset or `development`) does an unset JWT_SECRET come from the file above.
 */
export async function readConfiguration (environment: NodeJS.ProcessEnv = process.env): Promise<Config> {
  if (environment === process.env) loadDotEnv()
  const inDevelopment = (environment.NODE_ENV ?? 'development') === 'development'
  const needsKeptSecret = inDevelopment && (environment.JWT_SECRET ?? '') === ''
  return loadConfig(environment, needsKeptSecret ? { developmentJwtSecret: await developmentJwtSecret() } : {})
}

/** Which database and cache a process uses, credentials masked: the first thing every command says. */
export function describeBackends (config: Config): { database: string, cache: string } {
  const { database, redis } = config
  return {
    database: database.url === undefined
      ? `embedded PostgreSQL (PGlite) in ${database.pgliteDataDir}`
      : `PostgreSQL at ${maskUrlPassword(database.url) ?? '(unparsable DATABASE_URL)'}${database.pooler === 'none' ? '' : ' (transaction-mode pooler)'}`,
    cache: redis.url === undefined ? 'in-process memory' : `Redis at ${maskUrlPassword(redis.url) ?? '(unparsable REDIS_URL)'}`
  }
}
