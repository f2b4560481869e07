import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { callsQuery, findStringBuiltSql } from './support/sql-guard.js'
import { runAlone } from '../support/test-file.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Server code: anything that could hand text to the database. */
const SCANNED_DIRS = ['src', 'plugins', 'routes']
/**
 * The database adapters forward the SQL their caller passed (a function parameter); the callers are what
 * this guard checks, so a parameter passed on is fine in these files only.
 */
const ADAPTERS = new Set([
  'src/database/postgres.ts', 'src/database/pglite.ts', 'src/database/migrate.ts',
  // Wrappers around an adapter: the circuit breaker and the tracing spans pass the caller's SQL through unchanged.
  'src/database/circuit.ts', 'src/database/traced.ts'
])

async function sourceFiles (dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort()
}

async function scannedFiles (): Promise<Array<{ file: string, text: string }>> {
  const files = (await Promise.all(SCANNED_DIRS.map(sourceFiles))).flat()
  const loaded = await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(ROOT, file), 'utf8') })))
  return loaded.filter(({ file, text }) => /repository\.ts$/.test(file) || callsQuery(text))
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function sqlInjectionGuardTests (t: Test): Promise<void> {
  t.test('no SQL text in server code is built from anything but constants', async (t) => {
    const findings = []
    for (const { file, text } of await scannedFiles()) findings.push(...findStringBuiltSql(file, text, { forwardsParameters: ADAPTERS.has(file) }))
    t.same(findings, [], 'user input must reach SQL only as a $n parameter; mark a reviewed constant fragment with // sql-safe: <reason>')
  })

  t.test('every repository file is scanned', async (t) => {
    const scanned = new Set((await scannedFiles()).map(({ file }) => file))
    const repositories = (await sourceFiles('src')).filter((file) => /repository\.ts$/.test(file))
    t.ok(repositories.length > 0, 'there are repositories to scan')
    for (const file of repositories) t.ok(scanned.has(file), `${file} is scanned`)
  })

  t.test('the guard flags input interpolated into SQL', async (t) => {
    const code = `
      export async function find (db, id, sort) {
        await db.query(\`SELECT * FROM products WHERE id = '\${id}'\`)
        await db.query('SELECT * FROM products ORDER BY ' + sort)
        const sql = \`DELETE FROM products WHERE sku = \${id}\`
        await db.query(sql)
        let dynamic = 'SELECT 1'
        await db.query(dynamic, [])
      }`
    const findings = findStringBuiltSql('fixture.ts', code)
    t.same(findings.map((finding) => finding.line), [3, 4, 5, 6, 8])
  })

  t.test('the guard accepts constants, fixed ORDER BY maps, choices between constants and marked fragments', async (t) => {
    const code = `
      const COLUMNS = 'id, name'
      const ORDER_BY = { name: 'name ASC', '-name': 'name DESC' } as const
      const FILTER = \`archived_at IS NULL AND price_cents >= $1\`
      export async function find (db, sort, forUpdate, column) {
        await db.query(\`SELECT \${COLUMNS} FROM products WHERE \${FILTER} ORDER BY \${ORDER_BY[sort]}\${forUpdate ? ' FOR UPDATE' : ''}\`, [1])
        await db.query('SELECT ' + COLUMNS + ' FROM products')
        // sql-safe: column comes from a validated enum of column names
        await db.query(\`SELECT \${column} FROM products\`)
      }`
    t.same(findStringBuiltSql('fixture.ts', code), [])
  })

  t.test('the QueryConfig object form is checked by its text', async (t) => {
    const code = `
      const SQL = 'SELECT 1 WHERE id = $1'
      export async function find (db, id) {
        await db.query({ text: SQL, values: [id], name: 'find' })
        await db.query({ text: \`SELECT * FROM t WHERE id = \${id}\`, values: [] })
      }`
    t.same(findStringBuiltSql('fixture.ts', code).map((finding) => finding.line), [5])
  })

  t.test('only the database adapters may forward their caller\'s SQL, also through a helper', async (t) => {
    const code = `
      function config (sql, params) { return { text: sql, values: params } }
      export const query = async (sql, params) => pool.query(config(sql, params))`
    t.same(findStringBuiltSql('adapter.ts', code, { forwardsParameters: true }), [])
    t.equal(findStringBuiltSql('service.ts', code).length, 1)
  })

  t.test('a map holding a non-constant value is not a fixed fragment', async (t) => {
    const code = `
      export async function find (db, sort, input) {
        const ORDER_BY = { name: 'name ASC', evil: input }
        await db.query(\`SELECT 1 ORDER BY \${ORDER_BY[sort]}\`)
      }`
    t.equal(findStringBuiltSql('fixture.ts', code).length, 1)
  })
}

await runAlone(import.meta.url, sqlInjectionGuardTests)
