import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { withOptionalDefaults } from './common.js'

export const DEFAULT_PAGE_LIMIT = 20
export const MAX_PAGE_LIMIT = 100
export const MAX_PAGE = 1_000_000

/** Query fields every collection takes; spread into a route's own querystring schema. */
export const PageQueryFields = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number, from 1' }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT, description: 'Items per page' })
}

/**
 * Keyset paging: a position in one sort order, opaque to the client, handed out in the `Link` header
 * (rel="next"). Only URL-safe base64 characters, so it travels in a query string unescaped.
 */
export const CURSOR_MAX_LENGTH = 2048
export const CursorQueryField = {
  cursor: Type.Optional(Type.String({
    minLength: 1,
    maxLength: CURSOR_MAX_LENGTH,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Opaque position from the `Link` header (rel="next") of the previous page: the page after that ' +
      'page\'s last item, stable while items are added or removed. Replaces `page` (a cursor with a page other ' +
      'than 1 is a 400); keep the other parameters as the link has them'
  }))
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
