import { BadRequestError } from '../errors.js'
import { pageOffset, pagination, type Pagination } from '../../schemas/pagination.js'
import type { ProductListQuery } from '../../schemas/product.js'
import { findProductPage, type ProductRecord } from './repository.js'
import { decodeCursor, encodeCursor, type Cursor } from './list-cursor.js'
import { catalogGeneration, localPages, type ListedPage } from './list-cache.js'
import type { CatalogDeps } from './service.js'

export interface ProductPage {
  data: ProductRecord[]
  pagination: Pagination
}

/** Turns a page into the bytes of the response body: the route's own serializer, so a hit is sent as it was. */
export type RenderPage = (page: ProductPage) => string

/** Escapes LIKE wildcards so `q` always means the literal text the client typed. */
function containsPattern (text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/** One key per distinct answer: every parameter after validation and defaults, the raw cursor for a keyset page. */
function pageKey (generation: string, query: ProductListQuery): string {
  const { sort, limit, page, cursor, q, minPrice, maxPrice, inStock } = query
  return `products:list:${generation}:${JSON.stringify([sort, limit, cursor ?? page, q, minPrice, maxPrice, inStock])}`
}

async function readPage ({ db }: CatalogDeps, query: ProductListQuery, cursor: Cursor | undefined, render: RenderPage): Promise<ListedPage> {
  const filter = {
    pattern: query.q === undefined ? undefined : containsPattern(query.q),
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    inStock: query.inStock
  }
  const start = cursor === undefined ? { offset: pageOffset(query) } : { after: cursor.position }
  const { total, products, next } = await findProductPage(db, filter, query.sort, query.limit, start)
  const page = cursor?.page ?? query.page
  const body = render({ data: products, pagination: pagination(page, query.limit, total) })
  return next === undefined ? { body } : { body, nextCursor: encodeCursor(query.sort, { position: next, page: page + 1 }) }
}

/**
 * A page of the catalog, from the cache when an identical request was answered since the last product change.
 * Pages are cached as rendered bytes under the catalog generation (src/products/list-cache.ts), which every
 * product change replaces, so no page outlives a change by more than the generation's bound across replicas.
 */
export async function listProducts (deps: CatalogDeps, query: ProductListQuery, render: RenderPage): Promise<ListedPage> {
  if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
    throw new BadRequestError('minPrice must not exceed maxPrice')
  }
  let cursor: Cursor | undefined
  if (query.cursor !== undefined) {
    if (query.page !== 1) throw new BadRequestError('Send either page or cursor: a cursor already says where the page starts')
    cursor = decodeCursor(query.cursor, query.sort)
  }
  // Read before the database: a page must be filed under a generation no older than its data.
  const key = pageKey(await catalogGeneration(deps.cache), query)
  const local = localPages(deps.cache)
  const kept = local.get(key)
  if (kept !== undefined) return kept
  const cached = await deps.cache.getVersioned<ListedPage>(key)
  if (cached !== undefined) {
    local.set(key, cached)
    return cached
  }
  const listed = await readPage(deps, query, cursor, render)
  // Version 0 throughout: the generation in the key does the invalidating, the version only refuses a second fill.
  await deps.cache.fillVersion(key, listed, 0)
  local.set(key, listed)
  return listed
}
