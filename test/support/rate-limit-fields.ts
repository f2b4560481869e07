/**
 * Reads the RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers) as a client would,
 * strictly: any item that is not `"name";key=integer;…` fails the parse, so a malformed field fails the test.
 */
export type FieldItems = Map<string, Record<string, number>>

const ITEM = /^"([^"\\]*)"((?:;[a-z][a-z0-9_.*-]*=\d{1,15})*)$/

export function parseFieldItems (value: unknown): FieldItems {
  if (typeof value !== 'string') throw new Error(`not a header value: ${String(value)}`)
  const items: FieldItems = new Map()
  for (const raw of value.split(',')) {
    const match = ITEM.exec(raw.trim())
    if (match === null) throw new Error(`not a structured-field item: ${raw}`)
    const parameters: Record<string, number> = {}
    for (const parameter of (match[2] ?? '').split(';').slice(1)) {
      const [key = '', number = ''] = parameter.split('=')
      parameters[key] = Number(number)
    }
    items.set(match[1] ?? '', parameters)
  }
  return items
}

/** `r` (remaining) of one policy in a RateLimit field. */
export function remainingOf (value: unknown, policy = 'default'): number | undefined {
  return parseFieldItems(value).get(policy)?.r
}
