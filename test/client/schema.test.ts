import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { CLIENT_SCHEMA_FILE } from '../../scripts/generate-client.js'
import { runAlone } from '../support/test-file.js'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../../scripts/generate-client.ts', import.meta.url))

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function schemaTests (t: Test): Promise<void> {
  t.test('the committed client/schema.ts is what `npm run generate:client` makes from openapi.json now', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-client-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const fresh = join(dir, 'schema.ts')
    // The script itself, as the npm script runs it, writing into a temp dir instead of over the committed file.
    await run(process.execPath, ['--import', 'tsx', SCRIPT, fresh])
    const generated = await readFile(fresh, 'utf8')
    t.ok(generated.includes('export interface paths'), 'the generator wrote the types')
    t.equal(await readFile(CLIENT_SCHEMA_FILE, 'utf8'), generated, 'stale: run `npm run generate:client` and commit client/schema.ts')
  })
}

await runAlone(import.meta.url, schemaTests)
