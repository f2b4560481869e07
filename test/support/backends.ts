/**
 * Real back ends for tests, chosen by the environment like production:
 * - DATABASE_URL set: one fresh PostgreSQL database per test file, dropped at its end;
 *   unset: a fresh PGlite data dir per app, copied from a migrated template (cold initdb costs seconds).
 * - REDIS_URL set: one key prefix per test file, its keys deleted at the end.
 * A test file is a process of its own or one subtest of a group (test/support/test-file.ts): either way its
 * tests share these, and no other file's.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { openPglite } from '../../src/database/pglite.js'
import { migrate, MIGRATIONS_DIR } from '../../src/database/migrate.js'
import { fileTestOf } from './test-file.js'

export const usingPostgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''
export const usingRedis = process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== ''

const runId = `${process.pid}_${randomBytes(4).toString('hex')}`

/** Numbers the test files of this process, for the names of their databases and key prefixes. */
let filesSeen = 0
const fileNumbers = new WeakMap<Test, number>()
function fileNumber (file: Test): number {
  let number = fileNumbers.get(file)
  if (number === undefined) {
    number = ++filesSeen
    fileNumbers.set(file, number)
  }
  return number
}

const databases = new WeakMap<Test, Promise<string>>()

/** A database of `t`'s test file's own on the PostgreSQL named by DATABASE_URL, dropped when the file ends. */
export async function testDatabaseUrl (t: Test): Promise<string> {
  const file = fileTestOf(t)
  let url = databases.get(file)
  if (url === undefined) {
    url = createDatabase(file)
    databases.set(file, url)
  }
  return url
}

async function createDatabase (file: Test): Promise<string> {
  const adminUrl = new URL(process.env.DATABASE_URL ?? '')
  const name = `shop_test_${runId}_${fileNumber(file)}`
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  // The file's apps close in teardowns registered after this one, and teardowns run last-registered first.
  file.teardown(async () => {
    const dropper = new pg.Client({ connectionString: adminUrl.toString() })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  })
  const url = new URL(adminUrl.toString())
  url.pathname = `/${name}`
  return url.toString()
}

/** Same migrations, same template: the name holds a hash of the migration files. */
async function pgliteTemplate (): Promise<string> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort()
  // The way the template is made counts too: a template left by an older way is not reused.
  const hash = createHash('sha256').update('sparse copy')
  for (const file of files) hash.update(file).update(await readFile(join(MIGRATIONS_DIR, file)))
  const template = join(tmpdir(), `shop-pglite-template-${hash.digest('hex').slice(0, 16)}`)
  try {
    await readdir(template)
    return template
  } catch {
    // Build beside it and rename into place: parallel test processes may race, and rename is atomic.
    const building = `${template}.${runId}`
    const db = await openPglite(building)
    await migrate(db)
    await db.close()
    const ready = await sparseCopy(building)
    await rename(ready, template).catch(async () => { await rm(ready, { recursive: true, force: true }) })
    return template
  }
}

const execFileAsync = promisify(execFile)

/**
 * The data dir with its runs of zeros as holes: most of it is the WAL segment, 16 MiB written as zeros ahead of
 * use. Every test app copies the template, and `cp` skips the holes of a sparse source: half the copy time. Where
 * GNU `cp` is missing, the dense dir serves as it is.
 */
async function sparseCopy (dir: string): Promise<string> {
  const sparse = `${dir}.sparse`
  try {
    await execFileAsync('cp', ['-R', '--sparse=always', dir, sparse])
  } catch {
    await rm(sparse, { recursive: true, force: true })
    return dir
  }
  await rm(dir, { recursive: true, force: true })
  return sparse
}

/**
 * Copies the template: the system's `cp` takes ~0.3 s for its thousand files where Node's recursive fs.cp takes
 * ~1.5 s, which was most of a test app's boot; fs.cp stays as the fallback where no `cp` exists.
 */
async function copyTree (from: string, to: string): Promise<void> {
  try {
    await execFileAsync('cp', ['-R', from, to])
  } catch {
    await rm(to, { recursive: true, force: true })
    await cp(from, to, { recursive: true })
  }
}

/** A throwaway, migrated PGlite data dir; removed when the test ends. */
export async function testPgliteDir (t: Test): Promise<string> {
  const template = await pgliteTemplate()
  await mkdir(tmpdir(), { recursive: true })
  const parent = await mkdtemp(join(tmpdir(), 'shop-pglite-'))
  const dir = join(parent, 'data')
  await copyTree(template, dir)
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  return dir
}

const cleanedPrefixes = new WeakSet<Test>()

/** The Redis key prefix of `t`'s test file; its keys are deleted when the file ends. */
export function redisKeyPrefix (t: Test): string {
  const file = fileTestOf(t)
  const prefix = `test:${runId}:${fileNumber(file)}:`
  if (usingRedis && !cleanedPrefixes.has(file)) {
    cleanedPrefixes.add(file)
    file.teardown(async () => { await deleteKeys(prefix) })
  }
  return prefix
}

async function deleteKeys (prefix: string): Promise<void> {
  const client = new Redis(process.env.REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 1 })
  await client.connect()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== '0')
  await client.quit()
}
