/**
 * Stands in for an OpenTelemetry collector when the harness measures the service with tracing on
 * (`--tracing`): accepts OTLP/HTTP exports (POST /v1/traces), reads and discards them, answers 200 with an
 * empty body (an empty ExportTraceServiceResponse, i.e. everything accepted). GET answers its counts, so the
 * harness can say how many spans' worth of exports arrived. It runs on the load core, as a collector on
 * another machine would cost the service nothing but the export itself.
 * Usage: PORT=… node --import tsx bench/baselines/otlp-sink.ts
 */
import { createServer } from 'node:http'

let exports = 0
let bytes = 0

createServer((request, response) => {
  if (request.method !== 'POST') {
    const body = JSON.stringify({ exports, bytes })
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body)
    return
  }
  request.on('data', (chunk: Buffer) => { bytes += chunk.length })
  request.on('end', () => {
    exports++
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf', 'content-length': '0' }).end()
  })
}).listen(Number(process.env.PORT ?? 4318), '127.0.0.1')
