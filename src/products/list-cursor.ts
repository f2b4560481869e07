import { BadRequestError } from '../errors.js'
import { MAX_PAGE } from '../../schemas/pagination.js'
import { MAX_INT4, type ProductSort } from '../../schemas/product.js'
import type { ListPosition } from './repository.js'

/** A keyset position and the number of the page it opens, so a cursor walk numbers its pages like page/limit. */
export interface Cursor {
  position: ListPosition
  page: number
}

/** Bumped when the encoding changes: an old cursor is then a 400, not a misread position. */
const FORMAT = 1
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MICROSECOND_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/
/** The schema's bound on a product name (schemas/product.ts), in code points as JSON Schema counts them. */
const NAME_MAX_LENGTH = 200

function invalid (): BadRequestError {
  return new BadRequestError('cursor is not one this service issued: follow the Link header of the previous page, or start again without a cursor')
}

export function encodeCursor (sort: ProductSort, cursor: Cursor): string {
  const { position, page } = cursor
  return Buffer.from(JSON.stringify([FORMAT, sort, position.key, position.id, Math.min(page, MAX_PAGE)])).toString('base64url')
}

/**
 * The client holds the cursor, so it can send anything: every part is checked here, because a value PostgreSQL
 * rejects (a malformed uuid or timestamp, a NUL character, an integer overflow) would otherwise be a 500.
 * A cursor that is well formed but was never issued is just another position, like any page number.
 */
export function decodeCursor (text: string, sort: ProductSort): Cursor {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) throw invalid()
  const [format, cursorSort, key, id, page] = parsed as unknown[]
  if (format !== FORMAT || typeof id !== 'string' || !UUID.test(id)) throw invalid()
  if (typeof page !== 'number' || !Number.isInteger(page) || page < 2 || page > MAX_PAGE) throw invalid()
  if (cursorSort !== sort) throw new BadRequestError('cursor belongs to another sort: send the sort of the link it came from')
  if (!validKey(sort, key)) throw invalid()
  return { position: { key, id }, page }
}

function validKey (sort: ProductSort, key: unknown): key is string | number {
  const field = sort.startsWith('-') ? sort.slice(1) : sort
  if (field === 'priceCents') return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key <= MAX_INT4
  if (typeof key !== 'string') return false
  if (field === 'name') return key.length > 0 && [...key].length <= NAME_MAX_LENGTH && !key.includes('\u0000')
  // A real calendar instant: Date accepts milliseconds, the last three digits are checked by the pattern.
  const millis = MICROSECOND_TIMESTAMP.exec(key)?.[1]
  if (millis === undefined) return false
  const date = new Date(`${millis}Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString() === `${millis}Z` && date.getUTCFullYear() >= 1
}
