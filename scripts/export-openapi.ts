/**
 * Writes the OpenAPI document the app generates to openapi.json at the repository root, so that
 * `npm run lint:api` can lint it with Spectral and reviewers can diff the API surface in a pull request.
 * test/openapi/openapi-file.test.ts fails when the committed file and the generated document drift apart.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openPglite } from '../src/database/pglite.js'
import { migrate } from '../src/database/migrate.js'

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url))
const EXPORT_DATA_DIR = fileURLToPath(new URL('../.data/openapi-export', import.meta.url))

/**
 * Settings that may show in the document are pinned to their defaults, so the file does not depend on
 * whoever runs the export (test runs raise the rate limits, for example).
 */
export const DOCUMENT_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  DOCS_ENABLED: 'true',
  RATE_LIMIT_MAX: '100',
  RATE_LIMIT_WINDOW: '1 minute',
  AUTH_RATE_LIMIT_MAX: '10',
  ACCESS_TOKEN_TTL: '15m',
  REFRESH_TOKEN_TTL: '7d'
}

/** The document as the file holds it: two-space JSON in the key order the generator produced, newline-terminated. */
export function renderOpenApi (app: FastifyInstance): string {
  return `${JSON.stringify(app.swagger(), null, 2)}\n`
}

/** Creates and migrates the data dir outside Fastify's plugin timeout; later boots only reopen it. */
async function prepareDatabase (): Promise<void> {
  const db = await openPglite(EXPORT_DATA_DIR)
  try {
    await migrate(db)
  } finally {
    await db.close()
  }
}

async function main (): Promise<void> {
  // The document needs the routes, not data: an embedded database of its own, kept between runs because a
  // cold initdb can outlast the plugin start timeout on a busy machine. No secret is needed: outside
  // production an unset JWT_SECRET becomes a random one, and nothing is signed here.
  const config = loadConfig({ ...DOCUMENT_ENV, LOG_LEVEL: 'silent', PGLITE_DATA_DIR: EXPORT_DATA_DIR })
  await prepareDatabase()
  const app = await buildApp(config)
  try {
    await app.ready()
    await writeFile(OPENAPI_FILE, renderOpenApi(app))
  } finally {
    await app.close()
  }
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`)
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (invokedDirectly) await main()
