import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { runAlone } from '../support/test-file.js'

const run = promisify(execFile)

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function repositoryTests (t: Test): Promise<void> {
  t.test('LICENSE exists and is the license package.json declares', async (t) => {
    const { license } = JSON.parse(await readFile('package.json', 'utf8')) as { license?: string }
    t.equal(license, 'MIT')
    const text = await readFile('LICENSE', 'utf8').catch(() => undefined)
    if (text === undefined) { t.fail('LICENSE exists at the repository root'); return }
    t.match(text, /^MIT License\n/)
    t.match(text, /^Copyright \(c\) \d{4} the Fastify Shop API authors$/m)
  })

  t.test('renovate.json parses and groups the @fastify/ packages into one PR', async (t) => {
    const config = JSON.parse(await readFile('renovate.json', 'utf8')) as {
      packageRules?: Array<{ groupName?: string, matchPackageNames?: string[] }>
    }
    const fastifyGroup = config.packageRules?.find((rule) =>
      rule.groupName !== undefined && (rule.matchPackageNames ?? []).some((name) => name.startsWith('@fastify/')))
    t.ok(fastifyGroup, 'a packageRule with a groupName matches @fastify/ packages')
    t.ok(fastifyGroup?.matchPackageNames?.includes('fastify'), 'fastify itself is in that group')
  })

  t.test('CHANGELOG.md has an Unreleased section', async (t) => {
    t.match(await readFile('CHANGELOG.md', 'utf8'), /^## \[Unreleased\]$/m)
  })

  /**
   * A clone is all a user has: no tracked file may point at documents that live outside the repository.
   * The names are assembled here so that this file does not match itself.
   */
  const OUTSIDE_NAMES = ['PITFALLS', 'BENCHMARKING', 'STYLE'].map((name) => `${name}.md`)
  const OUTSIDE_PATHS = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/')]
  /** The API contract's file name in any case, as a word of its own (so not `openapi…`). */
  const API_DOC = /(?<![\w-])api\.md/gi

  /** Where such a mention is the repository's own contract: written as docs/api.md, or a relative link inside docs/. */
  function isOwnContract (file: string, text: string, index: number): boolean {
    if (text.slice(Math.max(0, index - 5), index).toLowerCase() === 'docs/') return true
    return file.startsWith('docs/') && /\]\((\.\/)?$/.test(text.slice(Math.max(0, index - 4), index))
  }

  t.test('no tracked file refers to documents outside the repository', async (t) => {
    const { stdout } = await run('git', ['ls-files', '-z'], { maxBuffer: 16 * 1024 * 1024 })
    const files = stdout.split('\0').filter((file) => file !== '')
    t.ok(files.length > 100, `git lists the tracked files (${files.length})`)
    const offenders: string[] = []
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => '')
      if (text.includes('\u0000')) continue
      text.split('\n').forEach((line, number) => {
        const lower = line.toLowerCase()
        const named = [...OUTSIDE_NAMES, ...OUTSIDE_PATHS].filter((name) => lower.includes(name.toLowerCase()))
        const apiDoc = [...line.matchAll(API_DOC)].some((match) => !isOwnContract(file, line, match.index ?? 0))
        if (named.length > 0 || apiDoc) offenders.push(`${file}:${number + 1}: ${line.trim().slice(0, 120)}`)
      })
    }
    t.same(offenders, [], 'every mention points inside the repository (docs/api.md, docs/library-defaults.md, bench/README.md)')
  })
}

await runAlone(import.meta.url, repositoryTests)
