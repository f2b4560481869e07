/**
 * The ceiling: bare node:http answering each path with the exact bytes (body and content-type) captured
 * from the service at the start of the run, pre-serialized. Nothing here can be faster on this machine.
 * Usage: PORT=… node --import tsx bench/baselines/ceiling.ts <captured.json>
 */
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'

export interface CapturedResponse {
  contentType: string
  bodyBase64: string
}

/** Request URL (path and query, as the load generator sends it) → the service's response. */
export type CapturedResponses = Record<string, CapturedResponse>

const capturedFile = process.argv[2]
if (capturedFile === undefined) throw new Error('usage: ceiling.ts <captured.json>')
const captured = JSON.parse(await readFile(capturedFile, 'utf8')) as CapturedResponses

const responses = new Map(Object.entries(captured).map(([url, response]) => {
  const body = Buffer.from(response.bodyBase64, 'base64')
  return [url, { body, headers: { 'content-type': response.contentType, 'content-length': String(body.length) } }]
}))
const notFound = Buffer.from('not captured')

createServer((request, response) => {
  const known = responses.get(request.url ?? '')
  if (known === undefined) {
    response.writeHead(404, { 'content-length': String(notFound.length) }).end(notFound)
    return
  }
  response.writeHead(200, known.headers).end(known.body)
}).listen(Number(process.env.PORT ?? 3100), '127.0.0.1')
