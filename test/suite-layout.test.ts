/**
 * Every test file runs exactly once in `npm test`: tap runs the files .taprc includes, each in a process of its
 * own, and each group entry (test/groups/<group>.test.ts) runs the files test/groups/members.ts lists for it. A
 * file in neither would never run; one in both, or in two groups, would run twice.
 */
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { GROUPS } from './groups/members.js'
import { runAlone } from './support/test-file.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** tap's command, as npm scripts run it: `tap list` prints the files a plain `tap` run starts, matched by tap itself. */
const TAP = join(ROOT, 'node_modules', '.bin', 'tap')

async function testFilesIn (dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true })
  return entries.filter((entry) => entry.endsWith('.test.ts')).map((entry) => join(dir, entry).replaceAll('\\', '/'))
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function suiteLayoutTests (t: Test): Promise<void> {
  t.test('every test file runs exactly once: in a process of its own (.taprc) or in one group', async (t) => {
    const all = (await testFilesIn('test')).sort()
    const alone = (await run(process.execPath, [TAP, 'list'], { cwd: ROOT })).stdout.split('\n').filter((line) => line !== '')
    const grouped = Object.values(GROUPS).flat()
    t.same(grouped.filter((file, index) => grouped.indexOf(file) !== index), [], 'no file is in two groups')
    t.same(alone.filter((file) => grouped.includes(file)), [], 'no file of a group also runs on its own')
    t.same([...alone, ...grouped].sort(), all, 'every test file under test/ runs')
  })

  t.test('every group has an entry file, and every entry file runs a group', async (t) => {
    t.same((await testFilesIn('test/groups')).sort(), Object.keys(GROUPS).map((name) => `test/groups/${name}.test.ts`).sort())
  })
}

await runAlone(import.meta.url, suiteLayoutTests)
