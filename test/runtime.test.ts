/**
 * The Node.js lines the project targets, stated in one place each and kept in agreement: `.nvmrc` (what the
 * image and CI's second pass run), `engines` (what npm checks), `@types/node` (what the code may call).
 */
import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { runAlone } from './support/test-file.js'

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string }
  scripts: Record<string, string>
  devDependencies: Record<string, string>
}
const nvmrc = (await readFile(new URL('../.nvmrc', import.meta.url), 'utf8')).trim()

function major (version: string): number {
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? NaN)
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function runtimeTests (t: Test): Promise<void> {
  t.test('.nvmrc names an exact, maintained LTS version that engines admits', async (t) => {
    t.match(nvmrc, /^\d+\.\d+\.\d+$/, 'exact, so CI and the image run the same build')
    t.equal(major(nvmrc) % 2, 0, 'an even (LTS) major')
    t.ok(major(nvmrc) >= 22, 'Node 20 reached end of life on 2026-04-30')
    const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node)
    t.ok(minimum !== null, `engines.node is a lower bound (${pkg.engines.node})`)
    t.ok(Number(minimum?.[1]) >= 22, 'engines excludes end-of-life lines')
    t.ok(major(nvmrc) >= Number(minimum?.[1]), 'the image version satisfies engines')
  })

  t.test('@types/node matches the image line, so the code only calls what that Node has', async (t) => {
    t.equal(major(pkg.devDependencies['@types/node'] ?? ''), major(nvmrc))
  })

  t.test('one-shot commands run from source: no full rebuild before a migration or a seed', async (t) => {
    for (const name of ['migrate', 'seed']) {
      t.notMatch(pkg.scripts[name] ?? '', /\bbuild\b|\btsc\b/, `npm run ${name}`)
      t.match(pkg.scripts[name] ?? '', new RegExp(`scripts/${name}\\.ts$`), `npm run ${name} runs the TypeScript entry`)
    }
  })
}

await runAlone(import.meta.url, runtimeTests)
