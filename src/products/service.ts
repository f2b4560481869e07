import type { Cache } from '../cache/types.js'
import type { Database } from '../database/types.js'
import { isUniqueViolation } from '../database/errors.js'
import { ConflictError, NotFoundError, PreconditionFailedError } from '../errors.js'
import type { ProductCreate, ProductPatch } from '../../schemas/product.js'
import * as products from './repository.js'
import type { ProductRecord } from './repository.js'
import { forgetProducts, readProduct, type PreparedProduct, type SerializedBody } from './cache.js'
import { isCurrent, productEtag } from './etag.js'
import { forgetCatalogLists } from './list-cache.js'

export interface CatalogDeps {
  db: Database
  cache: Cache
}

/** A product's ETag and serialized body, and `notModified` when the client's copy is current. */
export type ProductRead = PreparedProduct & { notModified: boolean }

const SKU_CONSTRAINT = 'products_sku_key'

function skuTaken (): ConflictError {
  return new ConflictError('Another product already has this sku', 'sku-taken')
}

/**
 * `knownEtags`: the tags of the copies the client holds (If-None-Match, parsed by the route); undefined: none.
 * `serialize`: the caller's representation of a product (the route's response serializer), made once per cache fill.
 */
export async function getProduct (
  { db, cache }: CatalogDeps, id: string, knownEtags: readonly string[] | undefined, serialize: (product: ProductRecord) => SerializedBody
): Promise<ProductRead> {
  const prepared = await readProduct(cache, id, async () => products.findLiveProduct(db, id), serialize)
  if (prepared === undefined) throw new NotFoundError('Product not found')
  return { etag: prepared.etag, body: prepared.body, notModified: isCurrent(knownEtags, prepared.etag) }
}

export async function createProduct ({ db, cache }: CatalogDeps, input: ProductCreate): Promise<{ product: ProductRecord, etag: string }> {
  try {
    const product = await products.insertProduct(db, input)
    await forgetCatalogLists(cache)
    return { product, etag: productEtag(product) }
  } catch (error) {
    if (isUniqueViolation(error, SKU_CONSTRAINT)) throw skuTaken()
    throw error
  }
}

/**
 * `expectedVersions`: the versions the change may apply to (If-Match, parsed by the route); undefined: no condition. A
 * product that exists in none of them is a 412.
 */
export async function updateProduct (
  { db, cache }: CatalogDeps, id: string, patch: ProductPatch, expectedVersions?: readonly number[]
): Promise<{ product: ProductRecord, etag: string }> {
  let product: ProductRecord | undefined
  try {
    product = await products.updateProduct(db, id, patch, expectedVersions)
  } catch (error) {
    if (isUniqueViolation(error, SKU_CONSTRAINT)) throw skuTaken()
    throw error
  }
  if (product === undefined) {
    // Nothing updated: either there is no such live product, or If-Match named an older version.
    if (expectedVersions !== undefined && await products.findLiveProduct(db, id) !== undefined) throw new PreconditionFailedError()
    throw new NotFoundError('Product not found')
  }
  await forgetProducts(cache, [product])
  return { product, etag: productEtag(product) }
}

export async function archiveProduct ({ db, cache }: CatalogDeps, id: string): Promise<void> {
  const version = await products.archiveProduct(db, id)
  if (version === undefined) throw new NotFoundError('Product not found')
  await forgetProducts(cache, [{ id, version }])
}
