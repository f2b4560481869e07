import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Timestamp, Uuid, withOptionalDefaults } from './common.js'
import { CursorQueryField, PageQueryFields } from './pagination.js'

/** PostgreSQL `integer`: the cap keeps every accepted value storable, so an oversized one is a 400, not a 500. */
export const MAX_INT4 = 2_147_483_647

const Sku = Type.String({ pattern: '^[A-Z0-9-]{3,32}$', maxLength: 32, description: 'Stock keeping unit: 3–32 of A–Z, 0–9, -; unique', examples: ['MUG-001'] })
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Description = Type.String({ maxLength: 2000 })
const PriceCents = Type.Integer({ minimum: 0, maximum: MAX_INT4, description: 'Price in minor units (cents)' })
const Stock = Type.Integer({ minimum: 0, maximum: MAX_INT4, description: 'Units available to order' })

/** The fields a client writes: the body of a create, and (each optional) of a patch; the rest the server sets. */
const WritableFields = { sku: Sku, name: Name, description: Description, priceCents: PriceCents, stock: Stock }

export const Product = Type.Object({
  id: Type.Ref(Uuid),
  ...WritableFields,
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { $id: 'Product', additionalProperties: false })
export type Product = Static<typeof Product>

export const ProductCreate = Type.Object({
  ...WritableFields,
  description: Type.Optional(Type.String({ ...Description, default: '' }))
}, {
  additionalProperties: false,
  examples: [{ sku: 'MUG-001', name: 'Stoneware mug', description: 'Hand-glazed, 350 ml, dishwasher safe', priceCents: 1450, stock: 120 }]
})
export type ProductCreate = Static<typeof ProductCreate>

export const ProductPatch = Type.Partial(Type.Object(WritableFields), { additionalProperties: false, minProperties: 1, description: 'At least one field', examples: [{ priceCents: 1290, stock: 80 }] })
export type ProductPatch = Static<typeof ProductPatch>

export const PRODUCT_SORTS = ['name', '-name', 'priceCents', '-priceCents', 'createdAt', '-createdAt'] as const
export type ProductSort = typeof PRODUCT_SORTS[number]

export const ProductListQuery = withOptionalDefaults(Type.Object({
  ...PageQueryFields,
  ...CursorQueryField,
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive substring of name or description' })),
  minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT4, description: 'Lowest priceCents, inclusive' })),
  maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT4, description: 'Highest priceCents, inclusive' })),
  inStock: Type.Optional(Type.Boolean({ description: 'true: only stock > 0; false: only stock = 0' })),
  sort: StringEnum(PRODUCT_SORTS, { default: '-createdAt', description: 'Field to sort by; a leading - sorts descending' })
}, { additionalProperties: false }))
export type ProductListQuery = Static<typeof ProductListQuery>

export const ConditionalGetHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1024, description: 'ETag(s) from an earlier read: 304 when still current' }))
})

export const ConditionalWriteHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 1024, description: 'ETag from an earlier read: 412 when the product changed since' }))
})
