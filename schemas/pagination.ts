import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { withOptionalDefaults } from './common.js'

export const DEFAULT_PAGE_LIMIT = 20
export const MAX_PAGE_LIMIT = 100

/** Query fields every collection takes; spread into a route's own querystring schema. */
export const PageQueryFields = {
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1' }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT, description: 'Items per page' })
}
export const PageQuery = withOptionalDefaults(Type.Object(PageQueryFields, { additionalProperties: false }))
export type PageQuery = Static<typeof PageQuery>

export const Pagination = Type.Object({
  page: Type.Integer({ minimum: 1 }),
  limit: Type.Integer({ minimum: 1 }),
  total: Type.Integer({ minimum: 0 }),
  pages: Type.Integer({ minimum: 0 })
}, { $id: 'Pagination', additionalProperties: false })
export type Pagination = Static<typeof Pagination>

/** `{ data, pagination }`, the envelope of every list response. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), pagination: Type.Ref(Pagination) }, { additionalProperties: false })

export function pagination (page: number, limit: number, total: number): Pagination {
  return { page, limit, total, pages: Math.ceil(total / limit) }
}

export function pageOffset (query: PageQuery): number {
  return (query.page - 1) * query.limit
}
