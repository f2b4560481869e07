/**
 * Recognizes driver errors that mean "the database cannot be reached right now",
 * so the API answers 503 (retry later) instead of 500 (our bug).
 */
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'])
// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash recovery), and 53300:
// every connection slot is taken (max_connections, or a role's CONNECTION LIMIT), which a retry can get past.
const UNAVAILABLE_SQLSTATE = /^(08|57P|53300$)/
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end'
]
/** SQLSTATE 57014: statement_timeout fired; the database is overloaded or locked, not our input's fault. */
const STATEMENT_TIMEOUT = '57014'

export function isDatabaseUnavailable (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code) || code === STATEMENT_TIMEOUT)) {
    return true
  }
  return UNAVAILABLE_MESSAGES.some((fragment) => error.message.includes(fragment))
}

/**
 * The connection failed or the server stopped answering (no reply, no connection within the timeout): what tells
 * a circuit breaker the database is gone. A statement timeout (57014) is left out: the server answered it.
 */
export function isConnectionFailure (error: unknown): boolean {
  return isDatabaseUnavailable(error) && (error as { code?: unknown }).code !== STATEMENT_TIMEOUT
}

/** SQLSTATE 23505: a unique constraint refused the row. */
export function isUniqueViolation (error: unknown, constraint?: string): boolean {
  if (!(error instanceof Error)) return false
  const { code, constraint: name } = error as { code?: unknown, constraint?: unknown }
  return code === '23505' && (constraint === undefined || name === constraint)
}
