import { execFile } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { runAlone } from '../support/test-file.js'

const run = promisify(execFile)
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const CLIENT_TSCONFIG = fileURLToPath(new URL('../../client/tsconfig.json', import.meta.url))

interface ClientPackage {
  exports: Record<string, { types: string, default: string }>
  files: string[]
  dependencies: Record<string, string>
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function packageTests (t: Test): Promise<void> {
  t.test('the client package builds on its own settings (DOM, no Node types) into what its exports name', async (t) => {
    const pkg = JSON.parse(await readFile(new URL('../../client/package.json', import.meta.url), 'utf8')) as ClientPackage
    const out = await mkdtemp(join(tmpdir(), 'shop-client-build-'))
    t.teardown(() => rm(out, { recursive: true, force: true }))
    // `npm pack` in client/ runs this build (prepack); a compile error there would ship nothing usable.
    await run(process.execPath, [TSC, '-p', CLIENT_TSCONFIG, '--outDir', out])
    for (const [entry, target] of Object.entries(pkg.exports)) {
      for (const file of [target.types, target.default]) {
        t.ok(file.startsWith('./dist/') && pkg.files.includes('dist'), `${entry} → ${file} is in the packed files`)
        await t.resolves(access(join(out, file.slice('./dist/'.length))), `${file} is built`)
      }
    }
    t.same(Object.keys(pkg.dependencies), ['openapi-fetch'], 'openapi-fetch is all a consumer installs')
  })

  t.test('the client package depends on the openapi-fetch version the tests run', async (t) => {
    const read = async (path: string): Promise<{ dependencies?: Record<string, string>, devDependencies?: Record<string, string> }> =>
      JSON.parse(await readFile(new URL(path, import.meta.url), 'utf8')) as { dependencies?: Record<string, string>, devDependencies?: Record<string, string> }
    const root = await read('../../package.json')
    const client = await read('../../client/package.json')
    const tested = root.devDependencies?.['openapi-fetch']
    t.match(tested, /^\d+\.\d+\.\d+$/, 'pinned exactly in the root')
    t.equal(client.dependencies?.['openapi-fetch'], tested)
  })
}

await runAlone(import.meta.url, packageTests)
