import type { AUTH_SCHEME } from '../schemas/auth.js'

/**
 * What an error tells the client beyond its body, as data: the services and plugins that throw set these, and
 * problemHeaders below is the one place that turns them into HTTP response headers (src/problem.ts uses it for
 * every problem it builds).
 */
export interface ProblemHints {
  /** Seconds to wait before retrying (Retry-After). */
  retryAfterSeconds?: number
  /** The scheme to authenticate with (WWW-Authenticate). */
  authenticate?: typeof AUTH_SCHEME
  /** The methods the resource does serve (Allow). */
  allowedMethods?: readonly string[]
  /** The connection ends after this answer: the rest of the request may still be arriving (Connection: close). */
  closeConnection?: boolean
}

export function problemHeaders (hints: ProblemHints): Record<string, string> {
  const headers: Record<string, string> = {}
  if (hints.authenticate !== undefined) headers['www-authenticate'] = hints.authenticate
  if (hints.allowedMethods !== undefined) headers.allow = hints.allowedMethods.join(', ')
  if (hints.retryAfterSeconds !== undefined) headers['retry-after'] = String(hints.retryAfterSeconds)
  if (hints.closeConnection === true) headers.connection = 'close'
  return headers
}
