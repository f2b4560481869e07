import type { Queryable } from '../database/types.js'
import type { Product, ProductCreate, ProductPatch, ProductSort } from '../../schemas/product.js'

/** A product's id and the version a write just committed. */
export interface ProductVersion {
  id: string
  version: number
}

/** A product as stored: the API shape plus the version behind its ETag. */
export interface ProductRecord extends Product {
  version: number
}

interface ProductRow {
  id: string
  sku: string
  name: string
  description: string
  price_cents: number
  stock: number
  version: number
  created_at: Date
  updated_at: Date
}

const COLUMNS = 'id, sku, name, description, price_cents, stock, version, created_at, updated_at'

/** The only ORDER BY clauses a list can use; the client picks a key, never SQL text. */
const ORDER_BY: Record<ProductSort, string> = {
  // lower(): case-insensitive on every back end (PGlite's default collation is byte order, "B" < "a").
  name: 'lower(name) ASC, id ASC',
  '-name': 'lower(name) DESC, id DESC',
  priceCents: 'price_cents ASC, id ASC',
  '-priceCents': 'price_cents DESC, id DESC',
  createdAt: 'created_at ASC, id ASC',
  '-createdAt': 'created_at DESC, id DESC'
}

// Every filter is optional: a NULL parameter switches its condition off, so the SQL text never varies with input.
const LIST_FILTER = `
  archived_at IS NULL
  AND ($1::text IS NULL OR name ILIKE $1 ESCAPE '\\' OR description ILIKE $1 ESCAPE '\\')
  AND ($2::int IS NULL OR price_cents >= $2)
  AND ($3::int IS NULL OR price_cents <= $3)
  AND ($4::boolean IS NULL OR (stock > 0) = $4)`

export interface ProductFilter {
  /** A LIKE pattern with wildcards already escaped. */
  pattern: string | undefined
  minPrice: number | undefined
  maxPrice: number | undefined
  inStock: boolean | undefined
}

function toRecord (row: ProductRow): ProductRecord {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    stock: row.stock,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

function filterParams (filter: ProductFilter): unknown[] {
  return [filter.pattern ?? null, filter.minPrice ?? null, filter.maxPrice ?? null, filter.inStock ?? null]
}

/** A place in one sort order: just after the product with this sort key and id. */
export interface ListPosition {
  /** name, priceCents, or createdAt to the microsecond (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), as the sort says. */
  key: string | number
  id: string
}

/** Where a page starts: after skipping `offset` products, or just after a position (keyset). */
export type PageStart = { offset: number } | { after: ListPosition }

export interface ProductSlice {
  /** Live products matching the filter, in all pages. */
  total: number
  products: ProductRecord[]
  /** Just after this page's last product, when more follow it; undefined on the last page. */
  next: ListPosition | undefined
}

// Keyset conditions: strictly after (key, id) in the order of ORDER_BY, so `id` breaks ties the same way and
// the partial sort indexes serve them. $8 NULL (no position) switches the condition off.
const AFTER: Record<ProductSort, string> = {
  name: '(lower(name), id) > (lower($7::text), $8::uuid)',
  '-name': '(lower(name), id) < (lower($7::text), $8::uuid)',
  priceCents: '(price_cents, id) > ($7::int, $8::uuid)',
  '-priceCents': '(price_cents, id) < ($7::int, $8::uuid)',
  createdAt: '(created_at, id) > ($7::timestamptz, $8::uuid)',
  '-createdAt': '(created_at, id) < ($7::timestamptz, $8::uuid)'
}

// A JavaScript Date keeps milliseconds but created_at has microseconds: a position cut to milliseconds would
// repeat or skip rows created within the same millisecond, so the key travels as this exact text.
const CREATED_KEY = 'to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS created_key'

type PageRow = { total: number } & ((ProductRow & { created_key: string }) | { [column in keyof ProductRow | 'created_key']: null })

function positionOf (sort: ProductSort, row: ProductRow & { created_key: string }): ListPosition {
  const field = sort.startsWith('-') ? sort.slice(1) : sort
  const key = field === 'name' ? row.name : field === 'priceCents' ? row.price_cents : row.created_key
  return { key, id: row.id }
}

/**
 * One page of the filtered list and the total in one statement (one round trip): the count is a one-row subquery
 * joined to the page, so a page past the end still brings its row, with the page's columns NULL and the right
 * total. The outer ORDER BY repeats the inner one (a join promises no order); one row more than the page is read
 * to know whether more follow.
 */
export async function findProductPage (
  db: Queryable, filter: ProductFilter, sort: ProductSort, limit: number, start: PageStart
): Promise<ProductSlice> {
  const after = 'after' in start ? start.after : undefined
  const { rows } = await db.query<PageRow>(
    `SELECT counted.total, page.* FROM (SELECT count(*)::int AS total FROM products WHERE ${LIST_FILTER}) counted
     LEFT JOIN (
       SELECT ${COLUMNS}, ${CREATED_KEY} FROM products
       WHERE ${LIST_FILTER} AND ($8::uuid IS NULL OR ${AFTER[sort]})
       ORDER BY ${ORDER_BY[sort]} LIMIT $5 OFFSET $6
     ) page ON true
     ORDER BY ${ORDER_BY[sort]}`, [
      ...filterParams(filter), limit + 1, 'offset' in start ? start.offset : 0, after?.key ?? null, after?.id ?? null
    ])
  const found = rows.flatMap((row) => row.id === null ? [] : [row])
  const shown = found.slice(0, limit)
  const last = shown[shown.length - 1]
  return {
    total: rows[0]?.total ?? 0,
    products: shown.map(toRecord),
    next: found.length > limit && last !== undefined ? positionOf(sort, last) : undefined
  }
}

/** $1 id. Exported so the Express baseline (bench/baselines/express.ts) reads products with this very text. */
export const FIND_LIVE_PRODUCT_SQL = `SELECT ${COLUMNS} FROM products WHERE id = $1 AND archived_at IS NULL`

/** A live product; archived ones are invisible to reads. */
export async function findLiveProduct (db: Queryable, id: string): Promise<ProductRecord | undefined> {
  const { rows } = await db.query<ProductRow>(FIND_LIVE_PRODUCT_SQL, [id])
  const row = rows[0]
  return row === undefined ? undefined : toRecord(row)
}

export async function insertProduct (db: Queryable, input: ProductCreate): Promise<ProductRecord> {
  const { rows } = await db.query<ProductRow>(
    `INSERT INTO products (sku, name, description, price_cents, stock) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [input.sku, input.name, input.description ?? '', input.priceCents, input.stock]
  )
  const row = rows[0]
  if (row === undefined) throw new Error('product insert returned no row')
  return toRecord(row)
}

/**
 * Applies the given fields to a live product in one statement. `expectedVersions` (from If-Match) makes it
 * conditional: no row comes back when the version moved on, so a stale writer cannot overwrite a newer one.
 */
export async function updateProduct (
  db: Queryable, id: string, patch: ProductPatch, expectedVersions: readonly number[] | undefined
): Promise<ProductRecord | undefined> {
  const { rows } = await db.query<ProductRow>(
    `UPDATE products SET
       sku = COALESCE($2, sku),
       name = COALESCE($3, name),
       description = COALESCE($4, description),
       price_cents = COALESCE($5, price_cents),
       stock = COALESCE($6, stock),
       version = version + 1,
       updated_at = now()
     WHERE id = $1 AND archived_at IS NULL AND ($7::int[] IS NULL OR version = ANY($7::int[]))
     RETURNING ${COLUMNS}`,
    [id, patch.sku ?? null, patch.name ?? null, patch.description ?? null, patch.priceCents ?? null, patch.stock ?? null, expectedVersions ?? null]
  )
  const row = rows[0]
  return row === undefined ? undefined : toRecord(row)
}

/** Archives a live product and returns its new version; undefined when there was none. */
export async function archiveProduct (db: Queryable, id: string): Promise<number | undefined> {
  const { rows } = await db.query<{ version: number }>(
    'UPDATE products SET archived_at = now(), version = version + 1, updated_at = now() WHERE id = $1 AND archived_at IS NULL RETURNING version',
    [id]
  )
  return rows[0]?.version
}
