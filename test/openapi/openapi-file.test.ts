import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { DOCUMENT_ENV, OPENAPI_FILE, renderOpenApi } from '../../scripts/export-openapi.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function openapiFileTests (t: Test): Promise<void> {
  // One app for the whole file: every check reads the same generated document.
  const { app } = await buildTestApp(t, { env: DOCUMENT_ENV })

  t.test('the committed openapi.json is what the app generates now (run `npm run export:openapi` after an API change)', async (t) => {
    const committed = await readFile(OPENAPI_FILE, 'utf8')
    const generated = renderOpenApi(app)
    // Compare parsed first for a readable diff, then text so key order and formatting drift fail too.
    t.same(JSON.parse(committed), JSON.parse(generated))
    t.equal(committed, generated)
  })

  t.test('the document lists paths the way docs/api.md writes them, without a trailing slash', async (t) => {
    const paths = Object.keys(app.swagger().paths ?? {})
    t.ok(paths.length > 0)
    t.same(paths.filter((path) => path.length > 1 && path.endsWith('/')), [])
  })

  t.test('every operation has a unique operationId', async (t) => {
    const ids: string[] = []
    for (const item of Object.values(app.swagger().paths ?? {})) {
      for (const operation of Object.values(item ?? {})) {
        if (typeof operation === 'object' && operation !== null && 'operationId' in operation) ids.push(String(operation.operationId))
      }
    }
    t.ok(ids.length > 0)
    t.equal(new Set(ids).size, ids.length)
  })
}

await runAlone(import.meta.url, openapiFileTests)
