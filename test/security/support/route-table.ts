import type { FastifyInstance } from 'fastify'

export interface ServerRoute {
  method: string
  /** In OpenAPI form: /v1/products/{id}, no trailing slash. */
  path: string
}

const LINE = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/

/**
 * Every route the server answers, read from Fastify's own route tree (`printRoutes`), so a route hidden
 * from the OpenAPI document still shows up here.
 */
export function serverRoutes (app: FastifyInstance): ServerRoute[] {
  const stack: string[] = []
  const routes = new Map<string, ServerRoute>()
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = LINE.exec(line)
    if (match === null) continue
    const depth = (match[1] ?? '').length / 4
    const full = `${depth > 0 ? stack[depth - 1] ?? '' : ''}${match[2] ?? ''}`
    stack[depth] = full
    stack.length = depth + 1
    const path = full.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')
    for (const method of (match[3] ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
      routes.set(`${method} ${path}`, { method, path })
    }
  }
  return [...routes.values()]
}
