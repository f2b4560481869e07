/**
 * Encoding and rules of versioned entries, shared by the memory and Redis stores
 * (the Redis store runs the same rules in Lua so that check-and-set is atomic).
 * An entry is `<version>|<json>`; a marker left by an invalidation is `<version>|` (no value: a miss).
 */
export function encodeVersioned (version: number, value?: unknown): string {
  return `${version}|${value === undefined ? '' : JSON.stringify(value)}`
}

export function decodeVersioned (raw: string): { version: number, json: string } {
  const separator = raw.indexOf('|')
  return { version: Number(raw.slice(0, separator)), json: raw.slice(separator + 1) }
}

/** A fill may replace nothing, an older entry, or a marker of the same or an older version. */
export function mayFill (current: string | undefined, version: number): boolean {
  if (current === undefined) return true
  const existing = decodeVersioned(current)
  return existing.version < version || (existing.version === version && existing.json === '')
}

/** An invalidation never hides a newer entry that a later write already put there. */
export function mayInvalidate (current: string | undefined, version: number): boolean {
  return current === undefined || decodeVersioned(current).version <= version
}

const DECODE = `
local function version_of (raw)
  local separator = string.find(raw, '|', 1, true)
  return tonumber(string.sub(raw, 1, separator - 1)), separator == #raw
end`

/** KEYS[1] key; ARGV version, json, ttl seconds. Returns 1 when stored. */
export const FILL_VERSION_LUA = `${DECODE}
local current = redis.call('GET', KEYS[1])
local version = tonumber(ARGV[1])
if current then
  local existing, is_marker = version_of(current)
  if not (existing < version or (existing == version and is_marker)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1`

/**
 * KEYS[1] key; ARGV version, ttl seconds, and optionally a channel and a message to publish (every replica's
 * process memory drops the key: src/cache/invalidation-bus.ts). Published whether or not the marker was written,
 * and after it: a replica that hears the message and reads again finds the marker, never the old entry.
 * Returns 1 when the marker was written.
 */
export const INVALIDATE_VERSION_LUA = `${DECODE}
local current = redis.call('GET', KEYS[1])
local written = 0
if not current or version_of(current) <= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1] .. '|', 'EX', ARGV[2])
  written = 1
end
if ARGV[3] then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return written`
