/**
 * A test file runs in one of two ways. In `npm test`, most files run in a group's process (test/groups/), each
 * as one subtest of the group named by its path; `npx tap test/x.test.ts` (and CI's pass through PgBouncer) still
 * runs one file alone, in a process of its own, its tests on the root test as before. A grouped file exports its
 * tests as a function of the test they go on, and ends with `await runAlone(import.meta.url, itsTests)`.
 *
 * Either way the file has one test that stands for it (the root, or its subtest in the group), and the back ends
 * of test/support/backends.ts belong to that test: a file in a group starts from the same empty PostgreSQL database
 * and unused Redis counters as in a process of its own, and sees no other file's rows or rate-limit counts.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import tap, { type Test } from 'tap'

/** The tests of one file, registered on `t`. */
export type TestFile = (t: Test) => Promise<void>

const fileTests = new WeakMap<object, Test>()

/** Makes `t` the test of one file: every test under it shares that file's back ends. */
export function markFileTest (t: Test): void {
  fileTests.set(t, t)
}

/** The file test `t` belongs to: the nearest marked one above it, or the process's root test. */
export function fileTestOf (t: Test): Test {
  for (let node: Test['parent'] = t; node !== undefined; node = node.parent) {
    const file = fileTests.get(node)
    if (file !== undefined) return file
  }
  return tap
}

/** The file this process was started with, as a real path (the way a module's URL names its file). */
function entryFile (): string | undefined {
  const entry = process.argv[1]
  if (entry === undefined) return undefined
  try {
    return realpathSync(entry)
  } catch {
    return entry
  }
}
const ENTRY = entryFile()

/** When tap runs the file at `url` as its own process, runs its tests on the root test; in a group, does nothing. */
export async function runAlone (url: string, tests: TestFile): Promise<void> {
  if (ENTRY === fileURLToPath(url)) await tests(tap)
}
