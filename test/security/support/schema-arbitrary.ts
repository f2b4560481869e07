/**
 * JSON Schema → fast-check arbitrary, for the subset the route schemas use (object, string, integer, number,
 * boolean, null, array, enum/const, anyOf/oneOf; $refs are inlined before). Two modes:
 * - valid: values the schema accepts (used to get past validation to the authorization checks);
 * - hostile: each value is, with probability `nastyRate`, something nasty instead (wrong types, huge or
 *   negative numbers, very long or odd strings, injection-looking text, prototype keys, deep nesting),
 *   and objects sometimes lose required fields or gain extra ones.
 */
import fc from 'fast-check'
import type { JsonSchema } from '../../openapi/support/document.js'

export interface ArbitraryOptions {
  /** 0: valid values only; 0.3: roughly three fields in ten are nasty. */
  nastyRate: number
  /**
   * Ids that exist (products, orders, users), read at generation time so it can grow during a run:
   * uuid fields draw from it half the time, so requests get past "not found" into the real work.
   */
  idPool?: () => readonly string[]
}

const SAMPLE_DOMAIN = '@example.test'

function deepNesting (depth: number): unknown {
  let value: unknown = 'bottom'
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? { a: value } : [value]
  return value
}

/** Values that have broken parsers, validators, drivers and serializers before. */
const NASTY_VALUES: unknown[] = [
  null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 1e21,
  '', ' ', '0', '-0', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '00001', 'true', 'null', 'undefined',
  'a'.repeat(10_000), '\u0000', 'nul\u0000byte', '\uD800', '\uFEFF', '\u202Eevil', 'Ω≈ç√∫˜µ≤≥÷', '👩‍👩‍👧‍👦'.repeat(50), 'ＳＥＬＥＣＴ',
  "' OR '1'='1", "'; DROP TABLE products; --", '" OR ""="', '1; SELECT pg_sleep(10)', '$1', '%', '_', '\\', '\\x00',
  '{"$gt": ""}', '{"__proto__": {"admin": true}}', '[]', '{}', '<script>alert(1)</script>', '../../../../etc/passwd',
  '$' + '{7*7}', '{{7*7}}', 'urn:uuid:0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f', '0B7C3B1E-5B2A-4C8E-9F1D-2A3B4C5D6E7F',
  '{0b7c3b1e-5b2a-4c8e-9f1d-2a3b4c5d6e7f}', '00000000-0000-0000-0000-000000000000',
  [], [null], {}, { $ne: null }, deepNesting(64), deepNesting(2000), Array.from({ length: 5000 }, (_value, index) => index)
]

const nasty = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom(...NASTY_VALUES),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.double(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.jsonValue({ maxDepth: 4 })
)

function uuidArbitrary (options: ArbitraryOptions): fc.Arbitrary<string> {
  const pool = options.idPool
  if (pool === undefined) return fc.uuid()
  return fc.oneof(fc.uuid(), fc.nat().map((index) => {
    const ids = pool()
    return ids.length === 0 ? '00000000-0000-4000-8000-000000000000' : ids[index % ids.length] ?? ''
  }))
}

function stringArbitrary (schema: JsonSchema, options: ArbitraryOptions): fc.Arbitrary<string> {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0
  const maxLength = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 300) : 60
  const fits = (value: string): boolean => value.length >= minLength && value.length <= (typeof schema.maxLength === 'number' ? schema.maxLength : Infinity)
  switch (schema.format) {
    case 'uuid': return uuidArbitrary(options)
    case 'email': return fc.stringMatching(/^[a-z0-9]{1,40}$/).map((local) => `${local}${SAMPLE_DOMAIN}`)
    case 'date-time': return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString())
    case 'uri': return fc.webUrl()
  }
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
  return fc.string({ minLength, maxLength, unit: 'grapheme' }).filter(fits)
}

function objectArbitrary (schema: JsonSchema, options: ArbitraryOptions): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = Array.isArray(schema.required) ? schema.required as string[] : []
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [name, property] of Object.entries(properties)) model[name] = schemaArbitrary(property, options)
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0
  let record: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys: required })
  if (options.nastyRate === 0) {
    return minProperties > 0 ? record.filter((value) => Object.keys(value).length >= minProperties) : record
  }
  // Hostile shape changes: a required field dropped, an unknown or prototype-polluting key added.
  const extraKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'role', 'isAdmin', 'userId', 'status', 'totalCents', 'priceCents', 'id', '')
  record = fc.tuple(record, fc.integer({ min: 0, max: 99 }), extraKey, nasty()).map(([value, roll, key, extra]) => {
    if (roll < options.nastyRate * 15 && required.length > 0) {
      const { [required[roll % required.length] ?? '']: _dropped, ...rest } = value
      return rest
    }
    if (roll >= 100 - options.nastyRate * 15) {
      // Defined as an own property, so JSON.stringify emits "__proto__" literally.
      Object.defineProperty(value, key, { value: extra, enumerable: true, configurable: true, writable: true })
    }
    return value
  })
  return record
}

function validArbitrary (schema: JsonSchema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum as unknown[])
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (Array.isArray(union)) return fc.oneof(...union.map((member) => schemaArbitrary(member, options)))
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string': return stringArbitrary(schema, options)
    case 'integer': return fc.integer({
      min: typeof schema.minimum === 'number' ? schema.minimum : -(2 ** 31),
      max: typeof schema.maximum === 'number' ? schema.maximum : 2 ** 31 - 1
    })
    case 'number': return fc.double({ min: typeof schema.minimum === 'number' ? schema.minimum : -1e9, max: typeof schema.maximum === 'number' ? schema.maximum : 1e9, noNaN: true })
    case 'boolean': return fc.boolean()
    case 'null': return fc.constant(null)
    case 'array': return fc.array(schemaArbitrary((schema.items ?? {}) as JsonSchema, options), {
      minLength: typeof schema.minItems === 'number' ? schema.minItems : 0,
      maxLength: Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 5, options.nastyRate === 0 ? 3 : 60)
    })
    case 'object': return objectArbitrary(schema, options)
  }
  return fc.jsonValue({ maxDepth: 2 })
}

export function schemaArbitrary (schema: JsonSchema, options: ArbitraryOptions = { nastyRate: 0 }): fc.Arbitrary<unknown> {
  const valid = validArbitrary(schema, options)
  if (options.nastyRate === 0) return valid
  const nastyWeight = Math.round(options.nastyRate * 100)
  return fc.oneof({ weight: 100 - nastyWeight, arbitrary: valid }, { weight: nastyWeight, arbitrary: nasty() })
}

/** One valid value, for a request that must pass validation. */
export function sampleValid (schema: JsonSchema, seed = 7): unknown {
  const [value] = fc.sample(schemaArbitrary(schema), { numRuns: 1, seed })
  return value
}
