import fp from 'fastify-plugin'
import compress from '@fastify/compress'
import type { FastifyInstance } from 'fastify'

/** docs/api.md: responses over 1 KiB are compressed (br or gzip) when the client accepts it. */
export const COMPRESS_THRESHOLD_BYTES = 1024

/** Methods whose request body Fastify never reads. */
const BODILESS = new Set(['GET', 'HEAD'])

async function compressPlugin (fastify: FastifyInstance) {
  // A GET or HEAD body is never read, so decompressing it would be a preParsing hook on every read for nothing:
  // those routes get the library's per-route `decompress: false`. Added before the plugin's own onRoute hook reads it.
  fastify.addHook('onRoute', (route) => {
    if (route.decompress === undefined && [route.method].flat().every((method) => BODILESS.has(method))) route.decompress = false
  })
  await fastify.register(compress, {
    threshold: COMPRESS_THRESHOLD_BYTES,
    encodings: ['br', 'gzip'],
    // Brotli's default quality (11) costs ~10x the CPU of gzip for a few % on small JSON.
    brotliOptions: { params: { 1: 4 } }
  })
}

export default fp(compressPlugin, { name: 'compress' })

/** @see https://github.com/fastify/fastify-compress */
