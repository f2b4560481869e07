import SerializerSelector from '@fastify/fast-json-stringify-compiler'

type SerializerFactory = ReturnType<typeof SerializerSelector>
type SerializerCompiler = ReturnType<SerializerFactory>
type Serializer = ReturnType<SerializerCompiler>

const compileWithFastJsonStringify = SerializerSelector()
/** One compiler per distinct set of shared schemas and options, as @fastify/ajv-compiler pools validators. */
const pool = new Map<string, SerializerCompiler>()

/**
 * fast-json-stringify with one compiled serializer per response schema object instead of one per
 * route × status code × plugin context. Every route documents its problem responses with the same
 * `Problem` reference (schemas/responses.ts), so Fastify's default compiled that one schema ~150 times at
 * boot (¾ of all serializer builds). A serializer depends only on its schema, the shared schemas and the
 * options, which are the pool key, so reusing it per schema object is exact.
 */
export const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  const key = JSON.stringify([externalSchemas, options])
  const pooled = pool.get(key)
  if (pooled !== undefined) return pooled
  const compile = compileWithFastJsonStringify(externalSchemas, options)
  const bySchema = new WeakMap<object, Serializer>()
  const compiler: SerializerCompiler = (route) => {
    const { schema } = route
    if (typeof schema !== 'object' || schema === null) return compile(route)
    let serializer = bySchema.get(schema)
    if (serializer === undefined) {
      serializer = compile(route)
      bySchema.set(schema, serializer)
    }
    return serializer
  }
  pool.set(key, compiler)
  return compiler
}
