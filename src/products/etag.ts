import { MAX_INT4 } from '../../schemas/product.js'

/**
 * Strong entity tags for products (RFC 9110 §8.8.3): `"<id>-<version>"`. The version moves on every change
 * of the representation, stock included, so equal tags mean byte-identical bodies.
 */
export function productEtag (product: { id: string, version: number }): string {
  return `"${product.id}-${product.version}"`
}

/** The version column is a PostgreSQL integer. */
const MAX_VERSION = MAX_INT4

function tagsOf (header: string): string[] {
  return header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '')
}

/**
 * The entity tags an If-None-Match header names (routes parse it, the service compares): undefined without the
 * header. It uses the weak comparison (RFC 9110 §13.1.2), so a W/ prefix is dropped here.
 */
export function parseIfNoneMatch (header: string | undefined): string[] | undefined {
  return header === undefined ? undefined : tagsOf(header).map((tag) => tag.replace(/^W\//, ''))
}

/** Whether the client's copy, named by the tags of its If-None-Match, is this version: then 304. */
export function isCurrent (knownEtags: readonly string[] | undefined, etag: string): boolean {
  return knownEtags !== undefined && knownEtags.some((tag) => tag === '*' || tag === etag)
}

/**
 * The versions an If-Match header accepts for this product (strong comparison, RFC 9110 §13.1.1):
 * undefined when any version will do (no header, or `*`); an empty list when no tag can ever match.
 */
export function acceptedVersions (header: string | undefined, id: string): number[] | undefined {
  if (header === undefined) return undefined
  const tags = tagsOf(header)
  if (tags.includes('*')) return undefined
  const prefix = `"${id.toLowerCase()}-`
  const versions: number[] = []
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith('"')) continue
    const text = tag.slice(prefix.length, -1)
    const version = Number(text)
    // Byte-for-byte equality only ("01" is not "1"), and only values a version column can hold.
    if (String(version) === text && Number.isInteger(version) && version >= 1 && version <= MAX_VERSION) versions.push(version)
  }
  return versions
}
