/**
 * Runs the test files of one group (test/groups/members.ts) in the process of its entry file. A process of its
 * own costs a test file 7–8 s of CPU before its first test (tap and TypeScript, importing the app, PGlite's first
 * start); a group pays that once. Each file stays what it was: a subtest named by its path, with tap's time limit
 * for one file and back ends of its own (test/support/test-file.ts), and `npx tap <file>` still runs it alone.
 */
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { markFileTest, type TestFile } from '../support/test-file.js'
import { GROUPS } from './members.js'

const ROOT = new URL('../../', import.meta.url)

/** tap's limit for one test file (.taprc `timeout`, which tap hands each process as TAP_TIMEOUT; 0 is none). */
const FILE_TIMEOUT_MS = Number(process.env.TAP_TIMEOUT ?? '30') * 1000

function isTestFile (module: unknown): module is { default: TestFile } {
  return typeof module === 'object' && module !== null && 'default' in module && typeof module.default === 'function'
}

/** Registers every file of the group named after `entry` (test/groups/<name>.test.ts) on `t`, in the listed order. */
export function runGroup (t: Test, entry: string): void {
  const name = basename(fileURLToPath(entry), '.test.ts')
  const files = GROUPS[name]
  if (files === undefined) throw new Error(`test/groups/members.ts has no group "${name}"`)
  // The process gets what its files got each; a file that hangs is stopped by its own limit.
  t.setTimeout(FILE_TIMEOUT_MS * files.length)
  for (const file of files) {
    t.test(file, { timeout: FILE_TIMEOUT_MS }, async (t) => {
      markFileTest(t)
      const module: unknown = await import(new URL(file, ROOT).href)
      if (!isTestFile(module)) throw new Error(`${file} has no default export that registers its tests`)
      await module.default(t)
    })
  }
}
