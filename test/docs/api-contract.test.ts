import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STATUS_CODES } from 'node:http'
import type { Test } from 'tap'
import { errorCodes } from 'fastify'
import { EnvSchema } from '../../src/config.js'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/**
 * Keeps docs/api.md from drifting: the operations against the OpenAPI document the app generates, the
 * configuration table against EnvSchema, the problem types against what the source can send.
 */

const DOC_PATH = 'docs/api.md'
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']
const OPERATION_ROW = new RegExp(`^\\|\\s*\`(${HTTP_METHODS.join('|')}) (/[^\`\\s]*)\`\\s*\\|([^|]*)\\|([^|]*)\\|`, 'gm')
/** The heading of the table of real routes the OpenAPI document leaves out on purpose (docs UI, metrics). */
const OUTSIDE_DOCUMENT_HEADING = 'Routes outside the OpenAPI document'

/** The text under a heading, up to the next heading of any level. */
function section (doc: string, heading: string): string {
  const start = doc.search(new RegExp(`^#+ ${heading}\\s*$`, 'm'))
  if (start === -1) return ''
  const rest = doc.slice(start).replace(/^.*\n/, '')
  const end = rest.search(/^#+ /m)
  return end === -1 ? rest : rest.slice(0, end)
}

/** Like `section`, but keeps sub-headings: up to the next heading of the same or a higher level. */
function chapter (doc: string, heading: string): string {
  const start = doc.search(new RegExp(`^## ${heading}\\s*$`, 'm'))
  if (start === -1) return ''
  const rest = doc.slice(start).replace(/^.*\n/, '')
  const end = rest.search(/^## /m)
  return end === -1 ? rest : rest.slice(0, end)
}

interface DocumentedOperation { key: string, method: string, path: string, who: string, success: string }

function operationRows (text: string): DocumentedOperation[] {
  return [...text.matchAll(OPERATION_ROW)].map(([, method = '', path = '', who = '', success = '']) =>
    ({ key: `${method} ${path}`, method, path, who: who.trim(), success }))
}

/** How the doc's "who" column names each access level of the `x-access` extension (plugins/auth.ts). */
function accessOf (who: string): string {
  if (who.startsWith('admin')) return 'admin'
  if (who.startsWith('signed in')) return 'signed-in'
  return 'anyone'
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function apiContractTests (t: Test): Promise<void> {
  t.test('docs/api.md lists exactly the operations of the OpenAPI document the app generates', async (t) => {
    const doc = await readFile(DOC_PATH, 'utf8')
    const { app } = await buildTestApp(t)
    const generated = app.swagger() as { paths?: Record<string, Record<string, { 'x-access'?: string, responses?: Record<string, unknown> }>> }
    const operations = new Map<string, { access: string, statuses: string[] }>()
    for (const [path, item] of Object.entries(generated.paths ?? {})) {
      for (const [method, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method.toUpperCase())) continue
        operations.set(`${method.toUpperCase()} ${path}`, { access: operation['x-access'] ?? 'anyone', statuses: Object.keys(operation.responses ?? {}) })
      }
    }
    t.ok(operations.size >= 20, `the document has its operations (${operations.size})`)

    const outside = new Set(operationRows(section(doc, OUTSIDE_DOCUMENT_HEADING)).map((row) => row.key))
    const documented = operationRows(doc).filter((row) => !outside.has(row.key))
    const documentedKeys = new Set(documented.map((row) => row.key))

    for (const key of operations.keys()) t.ok(documentedKeys.has(key), `docs/api.md documents ${key}`)
    for (const row of documented) {
      const operation = operations.get(row.key)
      if (operation === undefined) { t.fail(`${row.key} is documented but is not in the OpenAPI document`); continue }
      t.equal(accessOf(row.who), operation.access, `${row.key}: "who" matches x-access`)
      const success = /`(\d{3})/.exec(row.success)?.[1]
      t.ok(success !== undefined && operation.statuses.includes(success), `${row.key}: success status ${success ?? '(none)'} is a documented response`)
    }
    t.ok(outside.size > 0, `the "${OUTSIDE_DOCUMENT_HEADING}" table is there`)
    for (const key of outside) {
      const [method = '', url = ''] = key.split(' ')
      t.ok(app.hasRoute({ method: method as 'GET', url }), `${key} is a real route`)
      t.notOk(operations.has(key), `${key} is indeed outside the document`)
    }
  })

  t.test('the configuration table of docs/api.md has every variable of EnvSchema with its default', async (t) => {
    const table = chapter(await readFile(DOC_PATH, 'utf8'), 'Configuration')
    const rows = new Map([...table.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|([^|]*)\|/gm)].map(([, name = '', cell = '']) => [name, cell.trim()]))
    const properties: Record<string, { default?: unknown }> = EnvSchema.properties
    for (const [name, schema] of Object.entries(properties)) {
      const cell = rows.get(name)
      if (cell === undefined) { t.fail(`docs/api.md's configuration table has ${name}`); continue }
      if (schema.default === undefined) {
        t.match(cell, /^unset\b/, `${name} has no default, and the table says unset`)
      } else {
        t.equal(/`([^`]*)`/.exec(cell)?.[1], String(schema.default), `${name} defaults to ${String(schema.default)}`)
      }
    }
    for (const name of rows.keys()) t.ok(name in properties, `${name} in the table is a real variable`)
  })

  /** Every .ts file of the service's source (tests and benchmarks send nothing to clients). */
  async function sourceFiles (): Promise<Array<{ path: string, text: string }>> {
    const files: Array<{ path: string, text: string }> = []
    for (const dir of ['src', 'plugins', 'routes']) {
      for (const entry of await readdir(dir, { recursive: true })) {
        if (entry.endsWith('.ts')) files.push({ path: join(dir, entry), text: await readFile(join(dir, entry), 'utf8') })
      }
    }
    return files
  }

  /** Top-level arguments of a call whose `(` ends at `open`; string and template literals may hold commas. */
  function callArguments (text: string, open: number): string[] {
    const args: string[] = []
    let depth = 0
    let current = ''
    for (let index = open + 1; index < text.length; index++) {
      const char = text[index] ?? ''
      if (char === '\'' || char === '"' || char === '`') {
        const close = text.indexOf(char, index + 1)
        current += text.slice(index, close + 1)
        index = close
        continue
      }
      if ('([{'.includes(char)) depth++
      if (')]}'.includes(char)) {
        if (depth === 0) break
        depth--
      }
      if (char === ',' && depth === 0) { args.push(current.trim()); current = '' } else current += char
    }
    if (current.trim() !== '') args.push(current.trim())
    return args
  }

  const SLUG_LITERAL = /^'([a-z][a-z-]*)'$/

  /** Where each slug comes from and with which statuses; small on purpose, see the patterns each step knows. */
  async function sendableSlugs (): Promise<Map<string, Set<number>>> {
    const files = await sourceFiles()
    const found = new Map<string, Set<number>>()
    const add = (slug: string, status: number) => { found.set(slug, (found.get(slug) ?? new Set()).add(status)) }

    // 1. AppError subclasses: `super(<status>, '<slug>'` or `super(<status>, slug` with the slug a constructor parameter.
    const classes = new Map<string, { status: number, slugIndex: number | undefined }>()
    for (const { text } of files) {
      for (const [, name = '', body = ''] of text.matchAll(/class (\w+) extends AppError \{([\s\S]*?)\n\}/g)) {
        const call = /super\(\s*(\d{3}),\s*([^,]+),/.exec(body)
        if (call === null) continue
        const status = Number(call[1])
        const slugArg = (call[2] ?? '').trim()
        const literal = SLUG_LITERAL.exec(slugArg)?.[1]
        if (literal !== undefined) { add(literal, status); classes.set(name, { status, slugIndex: undefined }); continue }
        const parameters = /constructor \(([^)]*)\)/.exec(body)?.[1] ?? ''
        const names = [...parameters.matchAll(/(?:^|,)\s*(?:readonly\s+)?(\w+)\s*\??\s*[:=]/g)].map((match) => match[1])
        const fallback = new RegExp(`\\b${slugArg}\\s*=\\s*'([a-z][a-z-]*)'`).exec(parameters)?.[1]
        if (fallback !== undefined) add(fallback, status)
        classes.set(name, { status, slugIndex: names.indexOf(slugArg) })
      }
    }

    // 2. `new <Subclass>(…, '<slug>', …)`; a slug passed on from an options object is found in step 3.
    const passedOn = new Set<number>()
    for (const { text } of files) {
      for (const match of text.matchAll(/new (\w+)\(/g)) {
        const known = classes.get(match[1] ?? '')
        if (known?.slugIndex === undefined || known.slugIndex < 0) continue
        const argument = callArguments(text, (match.index ?? 0) + match[0].length - 1)[known.slugIndex]
        if (argument === undefined) continue
        const literal = SLUG_LITERAL.exec(argument)?.[1]
        if (literal === undefined) passedOn.add(known.status); else add(literal, known.status)
      }
    }

    // 3. `{ status: <status>, slug: '<slug>' }` literals (src/client-error.ts writes its problems on the socket).
    for (const { text } of files) {
      for (const [, status = '', slug = ''] of text.matchAll(/\bstatus:\s*(\d{3}),\s*slug:\s*'([a-z][a-z-]*)'/g)) add(slug, Number(status))
    }
    // 4. Other `slug: '<slug>'` options (extraRateLimit), answered by the one class that takes its slug from options.
    const options = files.flatMap(({ text }) => [...text.matchAll(/(?<!\bstatus:\s*\d{3},\s*)\bslug:\s*'([a-z][a-z-]*)'/g)].map((match) => match[1] ?? ''))
    if (options.length > 0 && passedOn.size !== 1) throw new Error(`slug options found, but ${passedOn.size} statuses pass a slug on: extend this scanner`)
    for (const slug of options) add(slug, [...passedOn][0] ?? 0)

    const problemSource = files.find((file) => file.path === join('src', 'problem.ts'))?.text ?? ''
    // 5. Fastify's and plugins' error codes mapped to slugs; the status is the one the library gives the code.
    const mapping = /FASTIFY_CODE_SLUGS[^=]*=\s*\{([\s\S]*?)\n\}/.exec(problemSource)?.[1] ?? ''
    const fastifyCodes = errorCodes as unknown as Record<string, (new () => { statusCode?: number }) | undefined>
    // @fastify/under-pressure makes this error with 503 inside the plugin and does not export it.
    const pluginCodes: Record<string, number> = { FST_UNDER_PRESSURE: 503 }
    for (const [, code = '', slug = ''] of mapping.matchAll(/(\w+):\s*'([a-z][a-z-]*)'/g)) {
      const FastifyError = fastifyCodes[code]
      const status = FastifyError === undefined ? pluginCodes[code] : new FastifyError().statusCode
      if (status === undefined) throw new Error(`no status known for ${code}: add it to this test`)
      add(slug, status)
    }

    // 6. `problemType('<slug>')` in src/problem.ts, with the status of the `titleOf(…)` that follows it.
    for (const [, slug = '', status = ''] of problemSource.matchAll(/problemType\('([a-z][a-z-]*)'\)[\s\S]{0,80}?titleOf\((\w+)\)/g)) {
      const value = /^\d{3}$/.test(status) ? status : new RegExp(`const ${status} = [^\\n]*?(\\d{3})`).exec(problemSource)?.[1]
      add(slug, Number(value))
    }
    return found
  }

  function titleSlug (status: number): string {
    return (STATUS_CODES[status] ?? '').toLowerCase().replace(/[^a-z]+/g, '-')
  }

  t.test('docs/api.md documents every problem type the service can send, with its status', async (t) => {
    const table = chapter(await readFile(DOC_PATH, 'utf8'), 'Problem types')
    const documented = new Map([...table.matchAll(/^\|\s*`([a-z][a-z-]*)`\s*\|\s*([\d, ]+)\|/gm)]
      .map(([, slug = '', statuses = '']) => [slug, statuses.split(',').map((status) => Number(status.trim()))]))
    const sendable = await sendableSlugs()

    // A scanner that silently stopped matching would make this test pass on an empty set.
    for (const slug of ['validation', 'malformed-json', 'email-taken', 'rate-limited', 'order-rate-limited', 'too-many-login-attempts', 'unsupported-media-type', 'internal']) {
      t.ok(sendable.has(slug), `the scanner finds ${slug}`)
    }
    for (const [slug, statuses] of sendable) {
      const row = documented.get(slug)
      if (row === undefined) { t.fail(`docs/api.md documents the problem type ${slug}`); continue }
      for (const status of statuses) t.ok(row.includes(status), `${slug} is documented with status ${status}`)
    }
    for (const [slug, statuses] of documented) {
      // Fastify's own errors without a mapped code get their reason phrase as slug (src/problem.ts).
      const derived = statuses.every((status) => slug === titleSlug(status))
      t.ok(sendable.has(slug) || derived, `${slug} in docs/api.md is a type the service can send`)
    }
  })
}

await runAlone(import.meta.url, apiContractTests)
