import type { Test } from 'tap'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { buildTestApp } from '../helper.js'
import { uniqueEmail } from '../support/fixtures.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function compressTests (t: Test): Promise<void> {
  const { app } = await buildTestApp(t)

  t.test('answers over 1 KiB are compressed with what the client accepts; small ones are not', async (t) => {
    const brotli = await app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'br' } })
    t.equal(brotli.headers['content-encoding'], 'br')
    t.match(JSON.parse(brotliDecompressSync(brotli.rawPayload).toString()), { openapi: /^3\./ })
    const gzip = await app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'gzip' } })
    t.equal(gzip.headers['content-encoding'], 'gzip')
    t.match(JSON.parse(gunzipSync(gzip.rawPayload).toString()), { openapi: /^3\./ })
    const small = await app.inject({ method: 'GET', url: '/health/live', headers: { 'accept-encoding': 'br, gzip' } })
    t.equal(small.headers['content-encoding'], undefined)
    t.same(small.json(), { status: 'ok' })
  })

  t.test('a gzip-encoded JSON body is decompressed before it is parsed', async (t) => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ email: uniqueEmail('gzip'), password: 'not-the-password-123' }))
    })
    // Parsed and validated: the credentials are wrong, not the body.
    t.equal(response.statusCode, 401)
  })

  t.test('reads (GET, HEAD) have no decompression step: their body is never read', async (t) => {
    // An encoding nobody supports would be a 415 on a route that decompresses.
    const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'content-encoding': 'x-unknown' } })
    t.equal(response.statusCode, 200)
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-unknown' },
      payload: '{}'
    })
    t.equal(posted.statusCode, 415, 'a route with a body still refuses an encoding it cannot read')
  })
}

await runAlone(import.meta.url, compressTests)
