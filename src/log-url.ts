/** Query names kept in a log line: short identifiers. Anything else could itself be a secret (`?<token>`). */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/
const HIDDEN_NAME = '[redacted]'

/**
 * The request target as every log line shows it: the path and the query's parameter names, never their values
 * (`/v1/products?limit&q`). Any value may be a credential (`?access_token=`, a reset code, a signed link) or
 * personal data (a search for someone's email); a list of sensitive names would miss the next one, while the
 * names alone still tell which options a request used. Paths hold only ids here, so they stay whole.
 */
export function loggableUrl (url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return url
  const names = url.slice(queryStart + 1).split('&').filter((pair) => pair !== '').map((pair) => {
    const equals = pair.indexOf('=')
    const name = equals === -1 ? pair : pair.slice(0, equals)
    return loggableName(name)
  })
  return names.length === 0 ? url.slice(0, queryStart) : `${url.slice(0, queryStart)}?${names.join('&')}`
}

/** A client-chosen name (a query parameter, an unknown property) as a log line or a problem may repeat it. */
export function loggableName (name: string): string {
  return PLAIN_NAME.test(name) ? name : HIDDEN_NAME
}
