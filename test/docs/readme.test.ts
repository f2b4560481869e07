import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { EnvSchema } from '../../src/config.js'
import { runAlone } from '../support/test-file.js'

const variables = Object.keys(EnvSchema.properties)

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function readmeTests (t: Test): Promise<void> {
  t.test('the README shows the two commands first', async (t) => {
    const readme = await readFile('README.md', 'utf8')
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
    t.match(firstBlock, /^npm ci && npm start\b/m)
    t.match(firstBlock, /^npm ci && npm test\b/m)
  })

  t.test('every configuration variable is documented in the README table and in .env.example', async (t) => {
    const readme = await readFile('README.md', 'utf8')
    const example = await readFile('.env.example', 'utf8')
    for (const name of variables) {
      t.match(readme, new RegExp(`^\\|[^\\n]*\`${name}\``, 'm'), `README documents ${name}`)
      t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example shows ${name}`)
    }
  })

  t.test('the README documents no variable the service does not read', async (t) => {
    const readme = await readFile('README.md', 'utf8')
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Layout'))
    const documented = [...table.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((match) => match[1] ?? '')
    for (const name of documented) t.ok(variables.includes(name), `${name} is a real variable`)
  })
}

await runAlone(import.meta.url, readmeTests)
