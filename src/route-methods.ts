/**
 * Which methods each declared path serves, so a request for a known path with another method can be answered
 * `405` with an `Allow` header (RFC 9110 §15.5.6) instead of `404`. Fastify's router (find-my-way) answers
 * only "no route" for both cases and matches concrete URLs only internally, so the not-found handler asks this
 * table. Patterns are what Fastify declares: static segments, `:param` (one segment) and a final `*`.
 */
type Segment = { kind: 'static', text: string } | { kind: 'param' } | { kind: 'wildcard' }

interface Entry { segments: Segment[], methods: Set<string> }

function segmentsOf (path: string): string[] {
  // `/v1/users` and `/v1/users/` are one resource here (Fastify declares both for a prefixed '/').
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  // Fastify passes `*` (the CORS preflight route) without a leading slash.
  return trimmed.replace(/^\//, '').split('/')
}

function patternOf (url: string): Segment[] {
  return segmentsOf(url).map((part): Segment => {
    if (part === '*') return { kind: 'wildcard' }
    if (part.startsWith(':')) return { kind: 'param' }
    return { kind: 'static', text: part }
  })
}

function matches (pattern: Segment[], parts: string[]): boolean {
  for (const [index, segment] of pattern.entries()) {
    if (segment.kind === 'wildcard') return true
    const part = parts[index]
    if (part === undefined) return false
    if (segment.kind === 'param' ? part === '' : segment.text !== part) return false
  }
  return parts.length === pattern.length
}

export class RouteMethods {
  private readonly entries = new Map<string, Entry>()

  add (method: string | string[], url: string): void {
    const key = patternOf(url).map((segment) => segment.kind === 'static' ? `s:${segment.text}` : segment.kind).join('/')
    const entry = this.entries.get(key) ?? { segments: patternOf(url), methods: new Set<string>() }
    for (const one of Array.isArray(method) ? method : [method]) {
      entry.methods.add(one.toUpperCase())
      // Fastify answers HEAD for every GET route (exposeHeadRoutes), whether or not onRoute reported it.
      if (one.toUpperCase() === 'GET') entry.methods.add('HEAD')
    }
    this.entries.set(key, entry)
  }

  /** The methods served at this request path (percent-decoded per segment, like the router), sorted; empty if none. */
  allowed (path: string): string[] {
    let parts: string[]
    try {
      parts = segmentsOf(path).map((part) => decodeURIComponent(part))
    } catch {
      return []
    }
    const methods = new Set<string>()
    for (const entry of this.entries.values()) {
      // A catch-all (`*`: @fastify/cors's OPTIONS route, which hands anything but a CORS preflight to the
      // not-found handler) belongs to no resource: it neither makes a path known nor adds to its Allow.
      if (entry.segments.length === 1 && entry.segments[0]?.kind === 'wildcard') continue
      if (matches(entry.segments, parts)) for (const method of entry.methods) methods.add(method)
    }
    return [...methods].sort()
  }
}
