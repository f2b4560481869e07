/**
 * Parses the human durations docs/api.md uses in its configuration table
 * (`15m`, `7d`, `1 minute`, `500ms`, `30 seconds`) into milliseconds.
 * Returns undefined for anything else so config validation can name the variable.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000
}

export const DURATION_PATTERN = '^\\s*\\d+\\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)?\\s*$'

export function parseDurationMs (text: string): number | undefined {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text)
  if (match === null) return undefined
  const unit = (match[2] ?? '').toLowerCase()
  // A bare number is read as seconds, like most CLIs' TTL flags.
  const factor = unit === '' ? 1000 : UNIT_MS[unit]
  if (factor === undefined) return undefined
  return Number(match[1]) * factor
}
